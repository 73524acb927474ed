package policyc

// The Rampart decision procedure (policyc/runtime/bundle.py): interned
// conditions, policy groups, triggers and first-applicable/deny-overrides.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"
)

var rank = map[string]int{"allow": 0, "watch": 1, "ask": 2, "webhook": 3, "deny": 4}

func rankOf(effect string) int {
	switch effect {
	case "allow":
		return 0
	case "watch":
		return 1
	case "ask":
		return 2
	case "webhook":
		return 3
	}
	return 4
}

// table ids
const (
	tAgent = iota
	tCommand
	tCommandSubstring
	tDomain
	tEnv
	tParam
	tPath
	tResponse
	tSession
	tTool
	tURL
	tCommandFolded
	tCommandHeadFolded
	tPathJoined
	tCommandNeedle
	nTables
)

var tableNames = []string{"agent", "command", "command_substring", "domain", "env_assignment", "param", "path",
	"response", "session", "tool", "url"}

var predTables = map[string]int{"command": tCommand, "env_assignment": tEnv, "path": tPath, "url": tURL,
	"domain": tDomain, "session": tSession}

type pred struct {
	field      int
	patterns   Bits
	exclusions Bits
	hasPat     bool
	hasExcl    bool
	contains   []string
	needles    []int
	composite  Bits
	hasComp    bool
}

type paramPred struct {
	name string
	ids  Bits
}

type cond struct {
	always    bool
	granting  bool
	preds     []pred
	anyParam  []paramPred
	hasDepth  bool
	low, high *pyInt
	hasCount  bool
	gte       pyInt
	window    float64
	ccTool    *string
	hasResp   bool
	respPat   []int
	respExcl  Bits
	trigger   []trig
	live      bool
}

type trig struct {
	table int
	ids   []int
}

type rule struct {
	rank    int
	cond    int
	effect  string
	message string
	expires *int64 // UTC microseconds
}

type group struct {
	conds     []int  // distinct conditions of the rules
	tableMask uint32 // trigger tables of its live conditions
	hasResp   bool
	project   bool
	tools     Bits
	hasTools  bool
	agent     int // -1 none
	session   int
	rules     []rule
	names     []string
	refs      [][]*RuleRef
	listed    []int // each member's index in Bundle.listed
}

// CallHistory counts past calls (for call_count); nil: no history.
type CallHistory interface {
	Count(tool string, windowSeconds float64, now time.Time) int64
}

// Bundle is a loaded, verified Rampart bundle.
type Bundle struct {
	Digest        string
	defaultEffect string
	listed        []listedPolicy
	ordersMu      sync.RWMutex
	orders        map[string]*engineOrder // string(plan groups) -> order; at most 4096
	tables        [nTables]*Table
	sizes         [nTables]int
	substrings    []string
	unscanned     []int
	absolute      Bits
	conds         []*cond
	condIDs       map[string]int
	groups        []*group
	condGroups    [][]int
	triggers      [nTables]map[int][]int
	respTriggers  map[int][]int
	paramNames    []string
	composite     Bits
}

// ------------------------------------------------------------ load time

type bundleError struct{ msg string }

func (e *bundleError) Error() string { return e.msg }

func bErr(format string, args ...any) error { return &bundleError{fmt.Sprintf(format, args...)} }

func malformed(kind, msg string) error {
	return &bundleError{"bundle payload is malformed: " + kind + ": " + msg}
}

// index is Python's value[key] on a decoded JSON value.
func index(v *Value, key string) (*Value, error) {
	switch v.K {
	case KObject:
		if m, ok := v.O.Get(key); ok {
			return m, nil
		}
		return nil, malformed("KeyError", pyStrRepr(key))
	case KArray:
		return nil, malformed("TypeError", "list indices must be integers or slices, not str")
	case KString:
		return nil, malformed("TypeError", "string indices must be integers, not 'str'")
	}
	return nil, malformed("TypeError", fmt.Sprintf("'%s' object is not subscriptable", v.TypeName()))
}

var nullValue = Value{}

// get is Python's value.get(key).
func get(v *Value, key string) (*Value, error) {
	if v.K != KObject {
		return nil, malformed("AttributeError", fmt.Sprintf("'%s' object has no attribute 'get'", v.TypeName()))
	}
	if m, ok := v.O.Get(key); ok {
		return m, nil
	}
	return &nullValue, nil
}

// iterate is Python's iteration over a decoded JSON value.
func iterate(v *Value) ([]Value, error) {
	switch v.K {
	case KArray:
		return v.A, nil
	case KObject:
		out := make([]Value, len(v.O.Keys))
		for i, k := range v.O.Keys {
			out[i] = Str(k)
		}
		return out, nil
	case KString:
		var out []Value
		for _, r := range v.S {
			out = append(out, Str(string(r)))
		}
		return out, nil
	}
	return nil, malformed("TypeError", fmt.Sprintf("'%s' object is not iterable", v.TypeName()))
}

const (
	kStr = 1 << iota
	kInt
	kBool
	kNull
	kDict
	kList
)

func typed(v *Value, kinds int, what string) error {
	ok := false
	switch v.K {
	case KString:
		ok = kinds&kStr != 0
	case KInt:
		ok = kinds&kInt != 0
	case KBool:
		ok = kinds&kBool != 0
	case KNull:
		ok = kinds&kNull != 0
	case KObject:
		ok = kinds&kDict != 0
	case KArray:
		ok = kinds&kList != 0
	}
	if ok {
		return nil
	}
	var names []string
	for _, k := range []struct {
		bit  int
		name string
	}{{kDict, "dict"}, {kList, "list"}, {kStr, "str"}, {kInt, "int"}, {kBool, "bool"}, {kNull, "null"}} {
		if kinds&k.bit != 0 {
			names = append(names, k.name)
		}
	}
	return bErr("bundle payload: %s must be %s, not %s", what, strings.Join(names, " or "), v.TypeName())
}

// typedOrder keeps Python's order of kinds in the message.
func typedNames(v *Value, what string, kinds int, names string) error {
	if err := typed(v, kinds, what); err != nil {
		return bErr("bundle payload: %s must be %s, not %s", what, names, v.TypeName())
	}
	return nil
}

func pyEqual(a, b *Value) bool {
	if a.K != b.K {
		return false
	}
	switch a.K {
	case KNull:
		return true
	case KBool:
		return a.B == b.B
	case KInt:
		return intOf(a).cmp(intOf(b)) == 0
	case KString:
		return a.S == b.S
	case KArray:
		if len(a.A) != len(b.A) {
			return false
		}
		for i := range a.A {
			if !pyEqual(&a.A[i], &b.A[i]) {
				return false
			}
		}
		return true
	case KObject:
		if a.O.Len() != b.O.Len() {
			return false
		}
		for i, k := range a.O.Keys {
			w, ok := b.O.Get(k)
			if !ok || !pyEqual(&a.O.Vals[i], w) {
				return false
			}
		}
		return true
	}
	return false
}

func combiningValue() Value {
	return NewObject("name", Str("rampart"),
		"order", ListV(Str("allow"), Str("watch"), Str("ask"), Str("webhook"), Str("deny")),
		"policy_combining", Str("deny-overrides"), "rule_combining", Str("first-applicable"))
}

func refuseOtherKinds(payload *Value) error {
	combining := combiningValue()
	known := []struct {
		key string
		v   Value
	}{{"dialect", Str("rampart")}, {"call_model", Str("rampart-tool-call")}, {"combining", combining}}
	for _, k := range known {
		have, err := get(payload, k.key)
		if err != nil {
			return err
		}
		if !pyEqual(have, &k.v) {
			return bErr("bundle %s %s is not one this runtime decides (%s); refusing it", k.key, pyRepr(have), pyRepr(&k.v))
		}
	}
	return nil
}

func effectOf(v *Value) (string, error) {
	if _, ok := rank[v.S]; v.K != KString || !ok {
		return "", bErr("bundle payload has an unknown effect %s", pyRepr(v))
	}
	return v.S, nil
}

func newBundle(document *Value) (*Bundle, error) {
	manifest, _ := document.O.Get("manifest")
	digest, _ := manifest.O.Get("digest")
	payload, _ := document.O.Get("payload")
	b := &Bundle{Digest: digest.S, condIDs: map[string]int{}}
	if err := b.build(payload); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bundle) build(payload *Value) error {
	if err := refuseOtherKinds(payload); err != nil {
		return err
	}
	v, err := index(payload, "default")
	if err != nil {
		return err
	}
	if b.defaultEffect, err = effectOf(v); err != nil {
		return err
	}
	tables, err := index(payload, "patterns")
	if err != nil {
		return err
	}
	var missing []string
	for _, t := range tableNames {
		present := false
		switch tables.K {
		case KObject:
			_, present = tables.O.Get(t)
		case KArray:
			for i := range tables.A {
				if tables.A[i].K == KString && tables.A[i].S == t {
					present = true
				}
			}
		case KString:
			present = strings.Contains(tables.S, t)
		default:
			return malformed("TypeError", fmt.Sprintf("argument of type '%s' is not iterable", tables.TypeName()))
		}
		if !present {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return bErr("bundle payload lacks pattern tables: %s", strings.Join(missing, ", "))
	}
	entries := map[string][]Value{}
	for _, t := range tableNames {
		list, err := index(tables, t)
		if err != nil {
			return err
		}
		if err := typed(list, kList, fmt.Sprintf("pattern table %s", pyStrRepr(t))); err != nil {
			return err
		}
		for pid := range list.A {
			entry := &list.A[pid]
			what := fmt.Sprintf("%s pattern %d", t, pid)
			if err := typed(entry, kDict, what); err != nil {
				return err
			}
			src, err := index(entry, "source")
			if err != nil {
				return err
			}
			if err := typed(src, kStr, what+" source"); err != nil {
				return err
			}
			for _, key := range []string{"expr", "folded", "head_folded", "joined"} {
				e, _ := get(entry, key)
				if err := typedNames(e, what+" "+key, kStr|kNull, "str or null"); err != nil {
					return err
				}
			}
			fb, _ := get(entry, "fallback")
			if t != "command_substring" && fb.Truthy() {
				return bErr("pattern %s (%s table, id %d) needs the reference matcher, which this runtime does not "+
					"have; refusing the bundle", pyStrRepr(src.S), t, pid)
			}
		}
		entries[t] = list.A
	}
	exprsOf := func(t, key string) []*string {
		out := make([]*string, len(entries[t]))
		for i := range entries[t] {
			if e, _ := entries[t][i].O.Get(key); e != nil && e.K == KString {
				s := e.S
				out[i] = &s
			}
		}
		return out
	}
	for _, e := range entries["command_substring"] {
		s, _ := e.O.Get("source")
		b.substrings = append(b.substrings, s.S)
	}
	composite := newBits(len(entries["command"]))
	for i := range entries["command"] {
		if c, _ := entries["command"][i].O.Get("composite"); c.Truthy() {
			composite.set(i)
		}
	}
	slashed := map[string]bool{"agent": true, "command": true, "env_assignment": true, "param": true, "path": true,
		"session": true, "tool": true, "url": true}
	for ti, t := range tableNames {
		for i := range entries[t] {
			if _, ok := entries[t][i].O.Get("expr"); !ok {
				return malformed("KeyError", "'expr'")
			}
		}
		tab, err := newTable(t, exprsOf(t, "expr"), t != "response", slashed[t])
		if err != nil {
			return &bundleError{err.Error()}
		}
		b.tables[ti] = tab
		b.sizes[ti] = len(entries[t])
	}
	extra := []struct {
		id        int
		name, key string
		src       string
		slash     bool
	}{{tCommandFolded, "command", "folded", "command", true}, {tCommandHeadFolded, "command", "head_folded", "command", true},
		{tPathJoined, "path", "joined", "path", true}}
	sameExprs := func(a, b []*string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if (a[i] == nil) != (b[i] == nil) || (a[i] != nil && *a[i] != *b[i]) {
				return false
			}
		}
		return true
	}
	for _, x := range extra {
		exprs := exprsOf(x.src, x.key)
		if base := exprsOf(x.src, "expr"); sameExprs(exprs, base) { // one automaton, shared
			src := tCommand
			if x.src == "path" {
				src = tPath
			}
			b.tables[x.id] = b.tables[src]
			b.sizes[x.id] = len(entries[x.src])
			continue
		}
		tab, err := newTable(x.name, exprs, true, x.slash)
		if err != nil {
			return &bundleError{err.Error()}
		}
		b.tables[x.id] = tab
		b.sizes[x.id] = len(entries[x.src])
	}
	b.absolute = newBits(len(entries["path"]))
	for i := range entries["path"] {
		if a, _ := entries["path"][i].O.Get("absolute"); a.Truthy() {
			b.absolute.set(i)
		}
	}
	needles := make([]*string, len(b.substrings))
	for i := range b.substrings {
		s := b.substrings[i]
		needles[i] = &s
	}
	b.tables[tCommandNeedle] = newNeedleTable(b.substrings)
	b.sizes[tCommandNeedle] = len(b.substrings)
	for i := range entries["command_substring"] {
		if e, _ := entries["command_substring"][i].O.Get("expr"); e == nil || e.K != KString {
			b.unscanned = append(b.unscanned, i)
		}
	}
	b.composite = composite
	return b.buildPolicies(payload, composite)
}

// newNeedleTable: each needle verbatim, found anywhere (re2.escape, unanchored).
func newNeedleTable(needles []string) *Table {
	t := &Table{name: "command_substring", size: len(needles)}
	atomIDs := map[string]int32{}
	var atoms []string
	for i, n := range needles {
		t.matchers = append(t.matchers, &containsMatcher{n})
		t.ids = append(t.ids, []int{i})
		if n == "" {
			t.always = append(t.always, int32(i))
			continue
		}
		atoms = t.addAtom(atomIDs, atoms, n, int32(i))
	}
	if len(atoms) > 0 {
		t.ac = buildAC(atoms)
	}
	return t
}

func (b *Bundle) ids(table int, v *Value) (Bits, []int, error) {
	name := tableNames[table]
	if err := typed(v, kList, fmt.Sprintf("a list of %s pattern ids", name)); err != nil {
		return nil, nil, err
	}
	size := b.sizes[table]
	out := newBits(size)
	bad := false
	for i := range v.A {
		x := &v.A[i]
		if x.K == KArray || x.K == KObject {
			return nil, nil, malformed("TypeError", fmt.Sprintf("unhashable type: '%s'", x.TypeName()))
		}
		if x.K != KInt || x.Big != nil || x.I < 0 || x.I >= int64(size) {
			bad = true
		}
	}
	if bad {
		kinds := map[string]bool{}
		for i := range v.A {
			k := v.A[i].TypeName()
			if k == "bool" || k == "float" {
				k = "int"
			}
			kinds[k] = true
		}
		if len(kinds) > 1 { // Python cannot sort the set (the names it reports depend on its hash order)
			var names []string
			for k := range kinds {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, nil, malformed("TypeError", fmt.Sprintf("'<' not supported between instances of '%s' and '%s'",
				names[0], names[1]))
		}
		return nil, nil, bErr("bundle payload references an unknown %s pattern id in %s", name, sortedSetRepr(v.A))
	}
	var list []int
	for i := range v.A {
		if !out.has(int(v.A[i].I)) {
			list = append(list, int(v.A[i].I))
		}
		out.set(int(v.A[i].I))
	}
	sort.Ints(list)
	return out, list, nil
}

// sortedSetRepr approximates repr(sorted(frozenset(items))).
func sortedSetRepr(items []Value) string {
	var uniq []Value
	for i := range items {
		dup := false
		for j := range uniq {
			if pyEqual(&uniq[j], &items[i]) {
				dup = true
			}
		}
		if !dup {
			uniq = append(uniq, items[i])
		}
	}
	sort.SliceStable(uniq, func(i, j int) bool {
		a, c := &uniq[i], &uniq[j]
		if a.K == KString && c.K == KString {
			return a.S < c.S
		}
		return numOf(a).Cmp(numOf(c)) < 0
	})
	return pyRepr(&Value{K: KArray, A: uniq})
}

func numOf(v *Value) *big.Float {
	switch v.K {
	case KInt:
		if v.Big != nil {
			return new(big.Float).SetInt(v.Big)
		}
		return big.NewFloat(float64(v.I))
	case KBool:
		if v.B {
			return big.NewFloat(1)
		}
	case KFloat:
		if !math.IsNaN(v.F) {
			return big.NewFloat(v.F)
		}
	}
	return big.NewFloat(0)
}

func pyStr(v *Value) string {
	if v.K == KString {
		return v.S
	}
	return pyRepr(v)
}

type policyView struct {
	v        *Value
	name     string
	priority pyInt
	enabled  bool
	tier     string
	pos      int
}

func (b *Bundle) buildPolicies(payload *Value, composite Bits) error {
	pv, err := index(payload, "policies")
	if err != nil {
		return err
	}
	if err := typed(pv, kList, "policies"); err != nil {
		return err
	}
	var policies []*policyView
	for i := range pv.A {
		p := &pv.A[i]
		if err := typed(p, kDict, "a policy"); err != nil {
			return err
		}
		nv, err := index(p, "name")
		if err != nil {
			return err
		}
		if err := typed(nv, kStr, "a policy name"); err != nil {
			return err
		}
		name := nv.S
		view := &policyView{v: p, name: name, pos: i}
		checks := []struct {
			key   string
			kinds int
			what  string
		}{{"priority", kInt, "priority"}, {"enabled", kBool, "enabled"}, {"scope", kDict, "scope"}, {"rules", kList, "rules"}}
		for _, c := range checks {
			x, err := index(p, c.key)
			if err != nil {
				return err
			}
			if err := typed(x, c.kinds, fmt.Sprintf("policy %s %s", pyStrRepr(name), c.what)); err != nil {
				return err
			}
			switch c.key {
			case "priority":
				view.priority = intOf(x)
			case "enabled":
				view.enabled = x.B
			}
		}
		tier, err := index(p, "tier")
		if err != nil {
			return err
		}
		if tier.K != KString || (tier.S != "global" && tier.S != "project") {
			return bErr("policy %s: unknown tier %s", pyStrRepr(name), pyRepr(tier))
		}
		view.tier = tier.S
		policies = append(policies, view)
	}
	names := map[string]bool{}
	for _, p := range policies {
		rules, _ := index(p.v, "rules")
		for i := range rules.A {
			r := &rules.A[i]
			c, err := index(r, "condition")
			if err != nil {
				return err
			}
			ap, err := index(c, "any_param")
			if err != nil {
				return err
			}
			items, err := iterate(ap)
			if err != nil {
				return err
			}
			for j := range items {
				q, err := index(&items[j], "param")
				if err != nil {
					return err
				}
				names[pyStr(q)] = true
			}
		}
	}
	for n := range names {
		b.paramNames = append(b.paramNames, n)
	}
	sort.Strings(b.paramNames)
	// The engine's config list: the global tier, then the project tier,
	// each in source order; disabled policies are never in scope.
	var listed []*policyView
	for _, tier := range []string{"global", "project"} {
		for _, p := range policies {
			if p.tier == tier && p.enabled {
				listed = append(listed, p)
			}
		}
	}
	b.listed = b.listed[:0]
	for _, p := range listed {
		b.listed = append(b.listed, listedPolicy{p.priority, p.name})
	}
	groupIDs := map[string]int{}
	for pos, p := range listed {
		rules, refs, err := b.rules(p)
		if err != nil {
			return err
		}
		scope, _ := index(p.v, "scope")
		g := &group{project: p.tier == "project", agent: -1, session: -1, rules: rules}
		tv, err := index(scope, "tools")
		if err != nil {
			return err
		}
		tools, toolList, err := b.ids(tTool, tv)
		if err != nil {
			return err
		}
		g.tools, g.hasTools = tools, len(toolList) > 0
		for _, s := range []struct {
			key string
			tab int
			dst *int
		}{{"agent", tAgent, &g.agent}, {"session", tSession, &g.session}} {
			x, err := index(scope, s.key)
			if err != nil {
				return err
			}
			if x.K != KNull {
				_, one, err := b.ids(s.tab, &Value{K: KArray, A: []Value{*x}})
				if err != nil {
					return err
				}
				*s.dst = one[0]
			}
		}
		key := groupKey(g, toolList)
		gid, ok := groupIDs[key]
		if !ok {
			gid = len(b.groups)
			groupIDs[key] = gid
			b.groups = append(b.groups, g)
		}
		m := b.groups[gid]
		m.names = append(m.names, p.name)
		m.refs = append(m.refs, refs)
		m.listed = append(m.listed, pos)
	}
	for _, c := range b.conds {
		c.live = !c.always && c.canHold()
		c.trigger = c.computeTrigger()
	}
	for _, g := range b.groups {
		seen := map[int]bool{}
		for _, r := range g.rules {
			if seen[r.cond] {
				continue
			}
			seen[r.cond] = true
			g.conds = append(g.conds, r.cond)
			c := b.conds[r.cond]
			g.hasResp = g.hasResp || c.hasResp
			if c.live {
				for _, t := range c.trigger {
					g.tableMask |= 1 << uint(t.table)
				}
			}
		}
	}
	b.index()
	return nil
}

func groupKey(g *group, tools []int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v|%v|%d|%d|", g.project, tools, g.agent, g.session)
	for _, r := range g.rules {
		exp := "none"
		if r.expires != nil {
			exp = fmt.Sprint(*r.expires)
		}
		fmt.Fprintf(&sb, "%d\x00%s\x00%q\x00%s\x01", r.cond, r.effect, r.message, exp)
	}
	return sb.String()
}

func (b *Bundle) rules(p *policyView) ([]rule, []*RuleRef, error) {
	rv, _ := index(p.v, "rules")
	var rules []rule
	var refs []*RuleRef
	what := fmt.Sprintf("policy %s rule", pyStrRepr(p.name))
	for i := range rv.A {
		r := &rv.A[i]
		if err := typed(r, kDict, what); err != nil {
			return nil, nil, err
		}
		span, err := index(r, "span")
		if err != nil {
			return nil, nil, err
		}
		if err := typedNames(span, what+" span", kDict|kNull, "dict or null"); err != nil {
			return nil, nil, err
		}
		empty := Value{K: KObject, O: &Object{}}
		if !span.Truthy() {
			span = &empty
		}
		idx, err := index(r, "index")
		if err != nil {
			return nil, nil, err
		}
		if err := typed(idx, kInt, what+" index"); err != nil {
			return nil, nil, err
		}
		ref := &RuleRef{Policy: p.name, Index: *idx, Tier: p.tier}
		sp, _ := get(span, "path")
		if err := typedNames(sp, what+" span path", kStr|kNull, "str or null"); err != nil {
			return nil, nil, err
		}
		if sp.K == KString {
			s := sp.S
			ref.Path = &s
		}
		for _, k := range []struct {
			key string
			dst *Value
		}{{"line", &ref.Line}, {"column", &ref.Column}} {
			x, _ := get(span, k.key)
			if err := typedNames(x, what+" span "+k.key, kInt|kNull, "int or null"); err != nil {
				return nil, nil, err
			}
			*k.dst = *x
		}
		ea, err := index(r, "expires_at")
		if err != nil {
			return nil, nil, err
		}
		if err := typedNames(ea, what+" expires_at", kStr|kNull, "str or null"); err != nil {
			return nil, nil, err
		}
		var expires *int64
		if ea.Truthy() {
			t, err := parseISOTime(ea.S)
			if err != nil {
				return nil, nil, malformed("ValueError", err.Error())
			}
			expires = &t
		}
		gr, err := index(r, "granting")
		if err != nil {
			return nil, nil, err
		}
		if err := typed(gr, kBool, what+" granting"); err != nil {
			return nil, nil, err
		}
		cv, err := index(r, "condition")
		if err != nil {
			return nil, nil, err
		}
		if err := typed(cv, kDict, what+" condition"); err != nil {
			return nil, nil, err
		}
		cid, err := b.intern(cv, gr.B)
		if err != nil {
			return nil, nil, err
		}
		ev, err := index(r, "effect")
		if err != nil {
			return nil, nil, err
		}
		effect, err := effectOf(ev)
		if err != nil {
			return nil, nil, err
		}
		mv, err := index(r, "message")
		if err != nil {
			return nil, nil, err
		}
		if err := typed(mv, kStr, what+" message"); err != nil {
			return nil, nil, err
		}
		rules = append(rules, rule{rank: rankOf(effect), cond: cid, effect: effect, message: mv.S, expires: expires})
		refs = append(refs, ref)
	}
	return rules, refs, nil
}

func (b *Bundle) intern(c *Value, granting bool) (int, error) {
	key := fmt.Sprintf("%s|%v", DumpsSorted(c), granting)
	if id, ok := b.condIDs[key]; ok {
		return id, nil
	}
	cd, err := b.cond(c, granting)
	if err != nil {
		return 0, err
	}
	id := len(b.conds)
	b.condIDs[key] = id
	b.conds = append(b.conds, cd)
	return id, nil
}

func (b *Bundle) cond(c *Value, granting bool) (*cond, error) {
	cd := &cond{granting: granting}
	pv, err := index(c, "predicates")
	if err != nil {
		return nil, err
	}
	if err := typed(pv, kList, "condition predicates"); err != nil {
		return nil, err
	}
	for i := range pv.A {
		p := &pv.A[i]
		if err := typed(p, kDict, "a predicate"); err != nil {
			return nil, err
		}
		fv, err := index(p, "field")
		if err != nil {
			return nil, err
		}
		if err := typed(fv, kStr, "a predicate field"); err != nil {
			return nil, err
		}
		table, ok := predTables[fv.S]
		if !ok {
			return nil, bErr("bundle payload has an unknown predicate field %s", pyStrRepr(fv.S))
		}
		var pr pred
		pr.field = table
		x, err := index(p, "patterns")
		if err != nil {
			return nil, err
		}
		var list []int
		if pr.patterns, list, err = b.ids(table, x); err != nil {
			return nil, err
		}
		pr.hasPat = len(list) > 0
		if x, err = index(p, "exclusions"); err != nil {
			return nil, err
		}
		if pr.exclusions, list, err = b.ids(table, x); err != nil {
			return nil, err
		}
		pr.hasExcl = len(list) > 0
		if table == tCommand {
			if x, err = index(p, "contains"); err != nil {
				return nil, err
			}
			if _, list, err = b.ids(tCommandSubstring, x); err != nil {
				return nil, err
			}
			pr.needles = list
			for _, n := range list {
				pr.contains = append(pr.contains, b.substrings[n])
			}
			pr.composite = pr.patterns.and(b.compositeBits())
			pr.hasComp = !pr.composite.empty()
		}
		cd.preds = append(cd.preds, pr)
	}
	ap, err := index(c, "any_param")
	if err != nil {
		return nil, err
	}
	if err := typed(ap, kList, "any_param"); err != nil {
		return nil, err
	}
	for i := range ap.A {
		q := &ap.A[i]
		if err := typed(q, kDict, "an any_param entry"); err != nil {
			return nil, err
		}
		name, err := index(q, "param")
		if err != nil {
			return nil, err
		}
		if err := typed(name, kStr, "any_param param"); err != nil {
			return nil, err
		}
		x, err := index(q, "patterns")
		if err != nil {
			return nil, err
		}
		ids, _, err := b.ids(tParam, x)
		if err != nil {
			return nil, err
		}
		cd.anyParam = append(cd.anyParam, paramPred{name.S, ids})
	}
	dv, err := index(c, "depth")
	if err != nil {
		return nil, err
	}
	if err := typedNames(dv, "depth", kDict|kNull, "dict or null"); err != nil {
		return nil, err
	}
	if dv.K != KNull {
		cd.hasDepth = true
		for _, k := range []struct {
			key string
			dst **pyInt
		}{{"low", &cd.low}, {"high", &cd.high}} {
			x, err := index(dv, k.key)
			if err != nil {
				return nil, err
			}
			if err := typedNames(x, "depth "+k.key, kInt|kNull, "int or null"); err != nil {
				return nil, err
			}
			if x.K == KInt {
				v := intOf(x)
				*k.dst = &v
			}
		}
	}
	cc, err := index(c, "call_count")
	if err != nil {
		return nil, err
	}
	if err := typedNames(cc, "call_count", kDict|kNull, "dict or null"); err != nil {
		return nil, err
	}
	if cc.K != KNull {
		cd.hasCount = true
		gte, err := index(cc, "gte")
		if err != nil {
			return nil, err
		}
		if err := typed(gte, kInt, "call_count gte"); err != nil {
			return nil, err
		}
		cd.gte = intOf(gte)
		w, err := index(cc, "window_ns")
		if err != nil {
			return nil, err
		}
		if err := typed(w, kInt, "call_count window_ns"); err != nil {
			return nil, err
		}
		if w.Big != nil {
			f, _ := new(big.Float).SetInt(w.Big).Float64()
			if math.IsInf(f, 0) {
				return nil, malformed("OverflowError", "int too large to convert to float")
			}
			cd.window = f / 1e9
		} else {
			cd.window = float64(w.I) / 1e9
		}
		tool, err := index(cc, "tool")
		if err != nil {
			return nil, err
		}
		if err := typedNames(tool, "call_count tool", kStr|kNull, "str or null"); err != nil {
			return nil, err
		}
		if tool.K == KString {
			s := tool.S
			cd.ccTool = &s
		}
	}
	rv, err := index(c, "response")
	if err != nil {
		return nil, err
	}
	if err := typedNames(rv, "response", kDict|kNull, "dict or null"); err != nil {
		return nil, err
	}
	if rv.K != KNull {
		x, err := index(rv, "patterns")
		if err != nil {
			return nil, err
		}
		if _, cd.respPat, err = b.ids(tResponse, x); err != nil {
			return nil, err
		}
		cd.hasResp = len(cd.respPat) > 0 // the engine's hasResponseRules
		if x, err = index(rv, "exclusions"); err != nil {
			return nil, err
		}
		if cd.respExcl, _, err = b.ids(tResponse, x); err != nil {
			return nil, err
		}
	}
	av, err := index(c, "always")
	if err != nil {
		return nil, err
	}
	if err := typed(av, kBool, "condition always"); err != nil {
		return nil, err
	}
	cd.always = av.B
	return cd, nil
}

func (b *Bundle) compositeBits() Bits { return b.composite }

func (c *cond) canHold() bool {
	if c.always || len(c.anyParam) > 0 || c.hasDepth || c.hasCount {
		return true
	}
	for _, p := range c.preds {
		if p.hasPat || len(p.contains) > 0 {
			return true
		}
	}
	return false
}

func (c *cond) computeTrigger() []trig {
	for _, p := range c.preds {
		if p.hasPat || len(p.contains) > 0 {
			var out []trig
			if p.hasPat {
				var ids []int
				p.patterns.each(func(i int) { ids = append(ids, i) })
				out = append(out, trig{p.field, ids})
			}
			if len(p.contains) > 0 {
				out = append(out, trig{tCommandSubstring, p.needles})
			}
			return out
		}
	}
	return nil
}

func (b *Bundle) index() {
	b.respTriggers = map[int][]int{}
	b.condGroups = make([][]int, len(b.conds))
	for gid, g := range b.groups {
		for _, r := range g.rules {
			dup := false
			for _, x := range b.condGroups[r.cond] {
				if x == gid {
					dup = true
				}
			}
			if !dup {
				b.condGroups[r.cond] = append(b.condGroups[r.cond], gid)
			}
		}
	}
	for cid, c := range b.conds {
		if !c.always {
			for _, t := range c.trigger {
				if b.triggers[t.table] == nil {
					b.triggers[t.table] = map[int][]int{}
				}
				for _, pid := range t.ids {
					b.triggers[t.table][pid] = append(b.triggers[t.table][pid], cid)
				}
			}
		}
		if c.hasResp {
			for _, pid := range c.respPat {
				b.respTriggers[pid] = append(b.respTriggers[pid], cid)
			}
		}
	}
}

// ---------------------------------------------------------- timestamps

var errISO = errors.New("iso")

// parseISOTime is _parse_time (datetime.fromisoformat after Z -> +00:00,
// naive read as UTC) as UTC microseconds; the error is the ValueError text.
func parseISOTime(text string) (int64, error) {
	s := strings.ReplaceAll(text, "Z", "+00:00")
	bad := fmt.Errorf("Invalid isoformat string: %s", pyStrRepr(s))
	num := func(t string) (int, bool) {
		if t == "" {
			return 0, false
		}
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int(t[i]-'0')
		}
		return n, true
	}
	var year, month, day int
	var rest string
	var ok1, ok2, ok3 bool
	switch {
	case len(s) >= 10 && s[4] == '-' && s[7] == '-':
		year, ok1 = num(s[0:4])
		month, ok2 = num(s[5:7])
		day, ok3 = num(s[8:10])
		rest = s[10:]
	case len(s) >= 8:
		year, ok1 = num(s[0:4])
		month, ok2 = num(s[4:6])
		day, ok3 = num(s[6:8])
		rest = s[8:]
	}
	if !(ok1 && ok2 && ok3) {
		return 0, bad
	}
	hour, minute, second, micro := 0, 0, 0, 0
	offset := 0
	if rest != "" {
		rest = rest[1:] // any one separator character
		if rest == "" {
			return 0, bad
		}
		tz := ""
		if at := strings.IndexAny(rest, "+-"); at >= 0 {
			rest, tz = rest[:at], rest[at:]
		}
		clock := rest
		frac := ""
		if at := strings.IndexAny(clock, ".,"); at >= 0 {
			clock, frac = clock[:at], clock[at+1:]
			if frac == "" {
				return 0, bad
			}
		}
		var parts []string
		if strings.Contains(clock, ":") {
			parts = strings.Split(clock, ":")
		} else {
			for i := 0; i < len(clock); i += 2 {
				if i+2 > len(clock) {
					return 0, bad
				}
				parts = append(parts, clock[i:i+2])
			}
		}
		if len(parts) == 0 || len(parts) > 3 || (frac != "" && len(parts) != 3) {
			return 0, bad
		}
		vals := [3]int{}
		for i, p := range parts {
			if len(p) != 2 {
				return 0, bad
			}
			v, ok := num(p)
			if !ok {
				return 0, bad
			}
			vals[i] = v
		}
		hour, minute, second = vals[0], vals[1], vals[2]
		if frac != "" {
			if _, ok := num(frac); !ok {
				return 0, bad
			}
			f := (frac + "000000")[:6]
			micro, _ = num(f)
		}
		if tz != "" {
			sign := 1
			if tz[0] == '-' {
				sign = -1
			}
			body := tz[1:]
			var tp []string
			if strings.Contains(body, ":") {
				tp = strings.Split(body, ":")
			} else {
				for i := 0; i < len(body); i += 2 {
					if i+2 > len(body) {
						return 0, bad
					}
					tp = append(tp, body[i:i+2])
				}
			}
			if len(tp) == 0 || len(tp) > 3 {
				return 0, bad
			}
			mult := []int{3600, 60, 1}
			for i, p := range tp {
				v, ok := num(p)
				if !ok || len(p) != 2 {
					if i == 2 && strings.Contains(p, ".") {
						secPart := strings.SplitN(p, ".", 2)
						v2, ok2 := num(secPart[0])
						if !ok2 {
							return 0, bad
						}
						v = v2
					} else {
						return 0, bad
					}
				}
				offset += v * mult[i]
			}
			offset *= sign
		}
	}
	if month < 1 || month > 12 {
		return 0, errors.New("month must be in 1..12")
	}
	if year < 1 {
		return 0, fmt.Errorf("year %d is out of range", year)
	}
	if day < 1 || day > daysIn(year, month) {
		return 0, errors.New("day is out of range for month")
	}
	if hour > 23 {
		return 0, errors.New("hour must be in 0..23")
	}
	if minute > 59 {
		return 0, errors.New("minute must be in 0..59")
	}
	if second > 59 {
		return 0, errors.New("second must be in 0..59")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, micro*1000, time.UTC)
	return t.Unix()*1_000_000 + int64(t.Nanosecond()/1000) - int64(offset)*1_000_000, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Micros is a time as UTC microseconds since the epoch (Python's precision).
func Micros(t time.Time) int64 { return t.Unix()*1_000_000 + int64(t.Nanosecond()/1000) }
