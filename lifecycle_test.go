package zohoauth

import (
	"testing"
	"time"
)

func TestLifecycleIsZero(t *testing.T) {
	if !(Lifecycle{}).IsZero() || !(Lifecycle{ID: "7"}).IsZero() {
		t.Error("a record with only an id is zero")
	}
	for _, l := range []Lifecycle{
		{ID: "7", LoginAt: time.Unix(1, 0)},
		{ID: "7", Failures: 1},
		{ID: "7", LastError: "timeout"},
		{ID: "7", ExhaustedAt: time.Unix(1, 0)},
	} {
		if l.IsZero() {
			t.Errorf("%+v is not zero", l)
		}
	}
}
