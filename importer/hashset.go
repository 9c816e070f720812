package importer

// hashSet is a set of 64-bit hashes in one open-addressed table: 8 bytes a
// slot, at least a quarter of them free, so a million hashes take 16 MB
// (Go's map takes 38 MB for the same).
type hashSet struct {
	slots []uint64 // 0 marks a free slot
	n     int
	shift uint // 64 - log2(len(slots))
}

// add inserts h and reports whether it was already there.
func (s *hashSet) add(h uint64) (present bool) {
	if h == 0 {
		h = 1 // 0 marks free slots; 1 stands in for it
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	// Fibonacci hashing spreads even values whose low bits agree.
	for i := (h * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			s.slots[i] = h
			s.n++
			return false
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	bits := uint(12)
	if len(old) > 0 {
		bits = uint(64-s.shift) + 1
	}
	s.slots, s.n, s.shift = make([]uint64, 1<<bits), 0, 64-bits
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}
