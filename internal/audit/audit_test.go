package audit

import (
	"strings"
	"testing"
	"time"
)

func chain(n int) []Entry {
	var out []Entry
	prev := GenesisHash
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: time.Date(2026, 1, 1, 10, 0, i, 0, time.UTC), UserID: 7, Role: "nurse", PatientID: 3, Action: "patient.read", Outcome: OutcomeSuccess, PrevHash: prev}
		e.Hash = ComputeHash(e)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(es []Entry) error {
	c := NewChain()
	for _, e := range es {
		if err := c.Next(e); err != nil {
			return err
		}
	}
	return nil
}

func TestChainIntact(t *testing.T) {
	if err := verify(chain(5)); err != nil {
		t.Fatal(err)
	}
}

func TestChainDetectsTampering(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func([]Entry) []Entry
		want   string
	}{
		"edited":   {func(es []Entry) []Entry { es[2].Action = "patient.write"; return es }, "entry 3: hash"},
		"removed":  {func(es []Entry) []Entry { return append(es[:1], es[2:]...) }, "entry 3: expected entry 2"},
		"swapped":  {func(es []Entry) []Entry { es[1], es[2] = es[2], es[1]; return es }, "expected entry 2"},
		"rehashed": {func(es []Entry) []Entry { es[1].Detail = "x"; es[1].Hash = ComputeHash(es[1]); return es }, "entry 3: previous hash"},
	} {
		t.Run(name, func(t *testing.T) {
			err := verify(tc.mutate(chain(5)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
