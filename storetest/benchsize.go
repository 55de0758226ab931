package storetest

import (
	"os"
	"strconv"
	"strings"
)

// BenchRowsEnv names the variable that sets the store sizes of the
// benchmarks that run at several sizes (comma-separated numbers of tokens).
const BenchRowsEnv = "ZOHOAUTH_BENCH_ROWS"

// BenchSizes returns the store sizes a benchmark runs at: those of
// BenchRowsEnv when it is set (numbers that do not parse or are not
// positive are left out), otherwise def.
func BenchSizes(def ...int) []int {
	env := os.Getenv(BenchRowsEnv)
	if env == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// SizeLabel writes a store size as benchmark metrics name it: 100, 1k,
// 10k, 1M.
func SizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1_000 && n%1_000 == 0:
		return strconv.Itoa(n/1_000) + "k"
	}
	return strconv.Itoa(n)
}
