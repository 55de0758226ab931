package zohoauth

import "context"

// BatchSaver is an optional capability of a Store, discovered with a type
// assertion: a save of many tokens at once, for imports and migrations.
type BatchSaver interface {
	// SaveTokens saves every token as SaveToken would, in order (ids kept
	// when set), in as few transactions or rewrites as the medium allows.
	// It is all or nothing: on an error no token of the call is saved, and
	// the tokens passed are left unchanged.
	SaveTokens(ctx context.Context, tokens []*Token) error
}

// SaveAll saves tokens into s with SaveTokens when s is a BatchSaver, and
// otherwise one by one with SaveToken (then a failure leaves the tokens
// before it saved).
func SaveAll(ctx context.Context, s Store, tokens []*Token) error {
	if b, ok := s.(BatchSaver); ok {
		return b.SaveTokens(ctx, tokens)
	}
	for _, t := range tokens {
		if err := s.SaveToken(ctx, t); err != nil {
			return err
		}
	}
	return nil
}
