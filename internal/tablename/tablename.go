// Package tablename holds the rule of a SQL table name, shared by sqlstore
// (ValidTableName) and storeurl (the table parameter of a store URL), which
// links no SQL code.
package tablename

// Valid reports whether name can be a table name: 1 to 40 ASCII letters,
// digits or underscores, not starting with a digit. Nothing else reaches
// the SQL text, so nothing can be injected through it.
func Valid(name string) bool {
	if len(name) == 0 || len(name) > 40 || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
