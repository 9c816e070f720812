package importer

import "testing"

func TestHashSet(t *testing.T) {
	var s hashSet
	const n = 100_000
	for i := uint64(1); i <= n; i++ {
		// sequential and clustered values, kept apart
		if s.add(i) || s.add(i<<40) {
			t.Fatalf("%d reported present before it was added", i)
		}
	}
	for i := uint64(1); i <= n; i++ {
		if !s.add(i) || !s.add(i<<40) {
			t.Fatalf("%d not present after it was added", i)
		}
	}
	if s.n != 2*n {
		t.Errorf("%d entries, want %d", s.n, 2*n)
	}
	if s.n*4 > len(s.slots)*3 {
		t.Errorf("load %d/%d above 3/4", s.n, len(s.slots))
	}
	// 0 marks free slots: it is stored as 1
	if !s.add(0) {
		t.Error("0 not taken for 1")
	}
}
