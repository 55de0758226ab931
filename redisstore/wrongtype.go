package redisstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrWrongType reports a key of the store's layout that holds a value of
// another type than the layout says (a string where the id set belongs, a
// counter that is not a number): something else wrote under the prefix. A
// write that meets one fails before it changes any key.
var ErrWrongType = errors.New("redisstore: a key of the store holds a value of the wrong type")

// KeyTypeError is the ErrWrongType of one key: its name (which never holds a
// secret, see the package doc), the type Redis reports and the type the
// layout wants.
type KeyTypeError struct {
	Key  string
	Type string // as Redis's TYPE names it: string, list, set, zset, hash, stream
	Want string // hash, set, zset, or counter (a string holding an integer)
}

// Error names the key and both types.
func (e *KeyTypeError) Error() string {
	return fmt.Sprintf("key %q is a %s, the store wants a %s there", e.Key, e.Type, e.Want)
}

// Unwrap returns ErrWrongType.
func (e *KeyTypeError) Unwrap() error { return ErrWrongType }

// wrongType makes a WRONGTYPE error of Redis (a read that met a key of the
// wrong type) match ErrWrongType; other errors are returned as they are.
func wrongType(err error) error {
	if re, ok := errors.AsType[redis.Error](err); ok && strings.HasPrefix(re.Error(), "WRONGTYPE") {
		return fmt.Errorf("%w: %w", ErrWrongType, err)
	}
	return err
}

// checkFunc is the Lua function of the write scripts that checks the type of
// a key: it returns nil when the key is absent or of type want, else the
// type found. want "counter" is a string that holds an integer; "any" takes
// every type.
const checkFunc = `
local function check(key, want)
  local t = redis.call('TYPE', key).ok
  if t == 'none' or want == 'any' then return nil end
  if want == 'counter' then
    if t ~= 'string' then return t end
    local v = redis.call('GET', key)
    if not string.match(v, '^%d+$') then return 'string holding no integer' end
    return nil
  end
  if t ~= want then return t end
  return nil
end
`

// typeReply returns the error of a write script's reply: nil for {1}, a
// *KeyTypeError for {0, key, type, want}.
func typeReply(res []any) error {
	if len(res) == 4 {
		if ok, _ := res[0].(int64); ok == 0 {
			key, _ := res[1].(string)
			typ, _ := res[2].(string)
			want, _ := res[3].(string)
			return &KeyTypeError{Key: key, Type: typ, Want: want}
		}
	}
	if len(res) >= 1 {
		if ok, _ := res[0].(int64); ok == 1 {
			return nil
		}
	}
	return fmt.Errorf("write script returned %d elements", len(res))
}
