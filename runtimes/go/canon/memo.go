package canon

// memo keeps, within one analysis (a CommandAnalysis and the analyses of
// its components), the normalizations already computed: pure functions of
// their strings, asked about the same strings by several readings (the
// memos of canonicalize._normalize and _normalize_segment, but never kept
// across analyses). A nil *memo computes everything afresh.
type memo struct {
	norms, segs memoTable
}

type memoEntry struct {
	in  string
	d   dialect
	out string
}

// memoTable is a short list searched linearly, a map once it grows.
type memoTable struct {
	list []memoEntry
	big  map[memoKey]string
}

type memoKey struct {
	in string
	d  dialect
}

const memoListMax = 24

func (t *memoTable) get(in string, d dialect) (string, bool) {
	if t.big != nil {
		out, ok := t.big[memoKey{in, d}]
		return out, ok
	}
	for i := range t.list {
		if e := &t.list[i]; e.d == d && e.in == in {
			return e.out, true
		}
	}
	return "", false
}

func (t *memoTable) put(in string, d dialect, out string) {
	if t.big == nil && len(t.list) < memoListMax {
		if t.list == nil {
			t.list = make([]memoEntry, 0, 8)
		}
		t.list = append(t.list, memoEntry{in, d, out})
		return
	}
	if t.big == nil {
		t.big = make(map[memoKey]string, 2*memoListMax)
		for _, e := range t.list {
			t.big[memoKey{e.in, e.d}] = e.out
		}
		t.list = nil
	}
	t.big[memoKey{in, d}] = out
}
