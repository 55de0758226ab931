package clock_test

import (
	"fmt"
	"time"

	"github.com/zohoauth/zohoauth/clock"
)

func ExampleFake() {
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.AfterFunc(55*time.Minute, func() { fmt.Println("stale at", c.Now().Format("15:04")) })
	c.AfterFunc(time.Hour, func() { fmt.Println("expired at", c.Now().Format("15:04")) })
	c.Advance(2 * time.Hour)
	fmt.Println("now", c.Now().Format("15:04"))
	// Output:
	// stale at 00:55
	// expired at 01:00
	// now 02:00
}
