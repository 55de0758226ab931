// Package tokenid holds the rule of a store id, shared by the root package
// (Token.Validate) and the store-author kit (storekit.ValidID).
package tokenid

// Valid reports whether id is a store id: 1 to 10 decimal digits (Zoho's
// column is varchar(10)).
func Valid(id string) bool {
	if len(id) == 0 || len(id) > 10 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
