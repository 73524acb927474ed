package policyc

// The request and response decisions (Bundle.evaluate, evaluate_response,
// decide of policyc/runtime/bundle.py). Every per-string fact is computed
// at most once per decision (a per-decision memo); nothing is kept across
// decisions, so each decision takes the full path.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"policyc.dev/runtime/canon"
)

// Options of a decision: the time (zero: now) and the call history (nil:
// none, so call_count never holds).
type Options struct {
	Now     time.Time
	History CallHistory
}

type memoEntry struct {
	key  string
	bits Bits
}

type cmdFacts struct {
	a       *canon.CommandAnalysis
	union   Bits
	needles Bits
}

type pathFacts struct {
	hits  []Bits
	union Bits
}

type evalCtx struct {
	b        *Bundle
	call     *ToolCall
	fields   *Fields
	now      int64
	nowTime  time.Time
	history  CallHistory
	sc       scratch
	memo     [nTables][]memoEntry
	cmd      *cmdFacts
	cmdKey   string
	paths    *pathFacts
	domain   Bits
	domOK    bool
	bools    [4][]bool
	conds    []int
	fieldsV  Fields
	planV    plan
	stamp    []uint32
	stampN   uint32
	fired    []firing
	orderKey []byte
}

var ctxPool = sync.Pool{New: func() any { return &evalCtx{} }}

// reset empties a pooled context for a new decision (nothing carries over
// but buffers).
func (e *evalCtx) reset() {
	for t := range e.memo {
		e.memo[t] = e.memo[t][:0]
	}
	e.cmd, e.cmdKey, e.paths, e.domain, e.domOK = nil, "", nil, nil, false
	e.fields, e.call, e.history = nil, nil, nil
	e.sc.slab = e.sc.slab[:0]
}

func (e *evalCtx) boolBuf(n int, which int) []bool {
	buf := &e.bools[which]
	if cap(*buf) < n {
		*buf = make([]bool, n)
	}
	*buf = (*buf)[:n]
	for i := range *buf {
		(*buf)[i] = false
	}
	return *buf
}

func (e *evalCtx) glob(t int, value string) Bits {
	for _, m := range e.memo[t] {
		if m.key == value {
			return m.bits
		}
	}
	var hit Bits
	if overGlobLimit(value) {
		hit = e.sc.bits(e.b.sizes[t])
	} else {
		hit = e.b.tables[t].scan(strings.ReplaceAll(value, "\\", "/"), &e.sc)
	}
	e.memo[t] = append(e.memo[t], memoEntry{value, hit})
	return hit
}

func (e *evalCtx) command(command string) *cmdFacts {
	if e.cmd != nil && e.cmdKey == command {
		return e.cmd
	}
	b := e.b
	a := canon.NewCommandAnalysis(command)
	union := e.sc.bits(b.sizes[tCommand])
	for _, s := range a.Spellings() {
		union.or(e.glob(tCommand, s))
	}
	granting := a.GrantingTexts()
	for _, s := range granting {
		union.or(e.glob(tCommand, s))
	}
	for _, s := range a.FoldedSpellings() {
		union.or(e.glob(tCommandFolded, s))
	}
	if a.HeadFold() {
		for _, c := range granting {
			union.or(e.glob(tCommandHeadFolded, canon.FoldHead(c)))
		}
	}
	if a.Overflow() {
		for i := 0; i < b.sizes[tCommand]; i++ {
			union.set(i)
		}
	}
	needles := e.sc.bits(len(b.substrings))
	for _, i := range b.unscanned {
		needles.set(i)
	}
	for _, t := range a.ContainsTexts() {
		needles.or(b.tables[tCommandSubstring].scan(t, &e.sc))
	}
	for _, c := range a.Components() {
		needles.or(b.tables[tCommandNeedle].scan(c, &e.sc))
	}
	e.cmd = &cmdFacts{a, union, needles}
	e.cmdKey = command
	return e.cmd
}

func (e *evalCtx) path(path string, workdir *string) *pathFacts {
	if e.paths != nil {
		return e.paths
	}
	b := e.b
	pf := &pathFacts{union: e.sc.bits(b.sizes[tPath])}
	for _, s := range PathSpellings(path, workdir) {
		hit := e.sc.bits(b.sizes[tPath])
		hit.or(e.glob(tPath, s))
		if joined, ok := JoinedSpelling(s, workdir); ok {
			hit.or(e.glob(tPath, joined).and(b.absolute))
		}
		if rest, ok := WorkdirRest(s, workdir); ok {
			hit.or(e.glob(tPathJoined, rest))
		}
		pf.hits = append(pf.hits, hit)
		pf.union.or(hit)
	}
	e.paths = pf
	return pf
}

func (e *evalCtx) domainIDs(value string) Bits {
	if e.domOK {
		return e.domain
	}
	norm := NormalizeDomain(value)
	if norm == "" {
		e.domain = e.sc.bits(e.b.sizes[tDomain])
	} else {
		e.domain = e.b.tables[tDomain].scan(norm, &e.sc)
	}
	e.domOK = true
	return e.domain
}

func (e *evalCtx) fieldIDs(table int) Bits {
	f, call := e.fields, e.call
	switch table {
	case tCommand:
		if f.HasCommand {
			return e.command(f.Command).union
		}
	case tCommandSubstring:
		if f.HasCommand {
			return e.command(f.Command).needles
		}
	case tPath:
		if f.HasPath {
			return e.path(f.Path, f.Workdir).union
		}
	case tDomain:
		if f.HasDomain {
			return e.domainIDs(f.Domain)
		}
	case tURL:
		if f.HasURL {
			return e.glob(tURL, f.URL)
		}
	case tSession:
		if call.Session != "" {
			return e.glob(tSession, call.Session)
		}
	case tEnv:
		if f.HasCommand {
			out := e.sc.bits(e.b.sizes[tEnv])
			for _, n := range e.command(f.Command).a.EnvNames() {
				out.or(e.glob(tEnv, n))
			}
			return out
		}
	}
	return nil
}

func (e *evalCtx) commandHolds(p *pred, command string, granting bool) bool {
	facts := e.command(command)
	if len(p.contains) == 0 && !p.patterns.meets(facts.union) {
		return false
	}
	var matches, excludes, compositeMatches, folded, headFolded, compositeHeadFolded canon.Matcher
	if p.hasPat {
		globs := p.patterns
		matches = func(s string) bool { return globs.meets(e.glob(tCommand, s)) }
		folded = func(s string) bool { return globs.meets(e.glob(tCommandFolded, s)) }
		headFolded = func(s string) bool { return globs.meets(e.glob(tCommandHeadFolded, s)) }
	}
	if p.hasExcl {
		excl := p.exclusions
		excludes = func(s string) bool { return excl.meets(e.glob(tCommand, s)) }
	}
	if p.hasComp {
		comp := p.composite
		compositeMatches = func(s string) bool { return comp.meets(e.glob(tCommand, s)) }
		compositeHeadFolded = func(s string) bool { return comp.meets(e.glob(tCommandHeadFolded, s)) }
	}
	return facts.a.Matches(granting, matches, p.contains, excludes, compositeMatches, folded, headFolded,
		compositeHeadFolded)
}

func (e *evalCtx) pathHolds(p *pred, path string, workdir *string, granting bool) bool {
	pf := e.path(path, workdir)
	if !p.patterns.meets(pf.union) {
		return false
	}
	if granting {
		for _, h := range pf.hits {
			if !p.patterns.meets(h) {
				return false
			}
		}
	}
	if !p.hasExcl {
		return true
	}
	any, all := false, true
	for _, h := range pf.hits {
		if p.exclusions.meets(h) {
			any = true
		} else {
			all = false
		}
	}
	if granting {
		return !any
	}
	return !all
}

func (e *evalCtx) predicateHolds(p *pred, granting bool) bool {
	f := e.fields
	switch p.field {
	case tCommand:
		return f.HasCommand && e.commandHolds(p, f.Command, granting)
	case tPath:
		return f.HasPath && e.pathHolds(p, f.Path, f.Workdir, granting)
	case tEnv:
		return p.patterns.meets(e.fieldIDs(tEnv))
	case tDomain:
		if !f.HasDomain {
			return false
		}
	case tURL:
		if !f.HasURL {
			return false
		}
	case tSession:
		if e.call.Session == "" {
			return false
		}
	}
	hits := e.fieldIDs(p.field)
	return p.patterns.meets(hits) && !p.exclusions.meets(hits)
}

func (e *evalCtx) holds(c *cond) bool {
	if c.always {
		return true
	}
	positive := false
	for i := range c.preds {
		p := &c.preds[i]
		if !p.hasPat && len(p.contains) == 0 {
			if p.field == tSession && p.exclusions.meets(e.glob(tSession, e.call.Session)) {
				return false
			}
			continue
		}
		if !e.predicateHolds(p, c.granting) {
			return false
		}
		positive = true
	}
	if len(c.anyParam) > 0 {
		ok := false
		for _, q := range c.anyParam {
			if text, present, _ := paramText(e.call, q.name); present && q.ids.meets(e.glob(tParam, canon.Lower(text))) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
		positive = true
	}
	if c.hasDepth {
		d := e.call.Depth
		if (c.low != nil && d.cmp(*c.low) < 0) || (c.high != nil && d.cmp(*c.high) > 0) {
			return false
		}
		positive = true
	}
	if c.hasCount {
		if e.history == nil {
			return false
		}
		tool := e.call.Tool
		if c.ccTool != nil {
			tool = *c.ccTool
		}
		if (pyInt{small: e.history.Count(tool, c.window, e.nowTime)}).cmp(c.gte) < 0 {
			return false
		}
		positive = true
	}
	return positive
}

// ------------------------------------------------------------- scope

type plan struct {
	inScope  []bool // conditions of the groups in scope
	groups   []bool
	always   []int
	untrig   []int
	tables   []int
	response bool
}

func (e *evalCtx) plan() *plan {
	b, call := e.b, e.call
	pl := &e.planV
	*pl = plan{groups: e.boolBuf(len(b.groups), 0), always: pl.always[:0], untrig: pl.untrig[:0],
		tables: pl.tables[:0], inScope: e.boolBuf(len(b.conds), 1)}
	tools := e.glob(tTool, call.Tool)
	var mask uint32
	for gid, g := range b.groups {
		if g.agent >= 0 && !e.glob(tAgent, call.Agent).has(g.agent) {
			continue
		}
		if g.session >= 0 && !e.glob(tSession, call.Session).has(g.session) {
			continue
		}
		if g.hasTools && !g.tools.meets(tools) {
			continue
		}
		pl.groups[gid] = true
		mask |= g.tableMask
		pl.response = pl.response || g.hasResp
		for _, cid := range g.conds {
			if pl.inScope[cid] {
				continue
			}
			pl.inScope[cid] = true
			c := b.conds[cid]
			if c.always {
				pl.always = append(pl.always, cid)
			} else if c.live && len(c.trigger) == 0 {
				pl.untrig = append(pl.untrig, cid)
			}
		}
	}
	for t := 0; t < nTables; t++ {
		if mask&(1<<uint(t)) != 0 {
			pl.tables = append(pl.tables, t)
		}
	}
	return pl
}

// ----------------------------------------------------------- combining

// The engine's messages on default decisions (policyc/decision.py).
const (
	noPolicy = "no matching policy; using default action"
	noRule   = "no matching rule; using default action"
)

var unweakened = map[string]string{
	"deny":  "project policy cannot weaken global default deny",
	"ask":   "project policy cannot weaken global default ask",
	"watch": "project policy cannot weaken global default watch",
}

type listedPolicy struct {
	priority pyInt
	name     string
}

// engineOrder is the engine's evaluation order of the policies a plan puts
// in scope: sort.Slice by priority over the config list (engine.go
// collectMatching), which is also what Bundle._order computes in Python.
type engineOrder struct {
	rank  []int // per listed index; meaningful for the ones in scope
	names []string
}

// order is the engineOrder of pl's groups, cached per set of groups (a
// load-time fact of the scope). The lookup allocates nothing: the key is
// built in the context's buffer and a map index by string(bytes) does not
// copy it.
func (e *evalCtx) order(pl *plan) *engineOrder {
	b := e.b
	key := e.orderKey[:0]
	for _, on := range pl.groups {
		if on {
			key = append(key, 1)
		} else {
			key = append(key, 0)
		}
	}
	e.orderKey = key
	b.ordersMu.RLock()
	o, ok := b.orders[string(key)]
	b.ordersMu.RUnlock()
	if ok {
		return o
	}
	var scoped []int
	for gid, on := range pl.groups {
		if on {
			scoped = append(scoped, b.groups[gid].listed...)
		}
	}
	sort.Ints(scoped)
	sort.Slice(scoped, func(i, j int) bool { return b.listed[scoped[i]].priority.cmp(b.listed[scoped[j]].priority) < 0 })
	o = &engineOrder{rank: make([]int, len(b.listed)), names: make([]string, len(scoped))}
	for k, pos := range scoped {
		o.rank[pos] = k
		o.names[k] = b.listed[pos].name
	}
	b.ordersMu.Lock()
	if b.orders == nil {
		b.orders = map[string]*engineOrder{}
	}
	if len(b.orders) < 4096 {
		b.orders[string(key)] = o
	}
	b.ordersMu.Unlock()
	return o
}

// firing is one member policy whose rule fired: its rank in the engine's
// order, its group, member index and rule index.
type firing struct {
	rank   int
	g      *group
	member int
	rule   int
}

// fire is Bundle._fire: first-applicable per group in scope (expiry
// checked unless checkExpiry is false: the response side), one firing per
// member, in the engine's order.
func (e *evalCtx) fire(holding []bool, pl *plan, o *engineOrder, checkExpiry bool) []firing {
	b := e.b
	fired := e.fired[:0]
	if len(e.stamp) < len(b.groups) {
		e.stamp = make([]uint32, len(b.groups))
	}
	e.stampN++
	if e.stampN == 0 {
		for i := range e.stamp {
			e.stamp[i] = 0
		}
		e.stampN = 1
	}
	for cid, h := range holding {
		if !h {
			continue
		}
		for _, gid := range b.condGroups[cid] {
			if !pl.groups[gid] || e.stamp[gid] == e.stampN {
				continue
			}
			e.stamp[gid] = e.stampN
			g := b.groups[gid]
			for r, ru := range g.rules {
				if holding[ru.cond] && (!checkExpiry || ru.expires == nil || *ru.expires > e.now) {
					for m, pos := range g.listed {
						fired = append(fired, firing{o.rank[pos], g, m, r})
					}
					break
				}
			}
		}
	}
	for i := 1; i < len(fired); i++ { // insertion sort: few policies fire
		for j := i; j > 0 && fired[j].rank < fired[j-1].rank; j-- {
			fired[j], fired[j-1] = fired[j-1], fired[j]
		}
	}
	e.fired = fired
	return fired
}

func reported(f *firing, action string, matched []string) *Decision {
	return &Decision{Action: action, Message: f.g.rules[f.rule].message, MatchedPolicies: matched,
		Rule: f.g.refs[f.member][f.rule], Project: f.g.project}
}

func anyInScope(pl *plan) bool {
	for _, on := range pl.groups {
		if on {
			return true
		}
	}
	return false
}

// combine is Bundle._combine (engine.go Evaluate after scoping).
func (b *Bundle) combine(fired []firing, pl *plan, o *engineOrder) *Decision {
	def := b.defaultEffect
	if !anyInScope(pl) {
		return &Decision{Action: def, Message: noPolicy}
	}
	var top *firing
	matched := []string{}
	anyGlobal := false
	for i := range fired {
		f := &fired[i]
		ru := &f.g.rules[f.rule]
		anyGlobal = anyGlobal || !f.g.project
		matched = append(matched, f.g.names[f.member])
		if ru.effect == "deny" {
			return reported(f, "deny", append(matched, o.names[f.rank+1:]...))
		}
		if top == nil {
			top = f
			continue
		}
		tr := &top.g.rules[top.rule]
		if ru.rank > tr.rank || (ru.effect == "allow" && tr.effect == "allow" && tr.message == "") {
			top = f
		}
	}
	if msg, ok := unweakened[def]; ok && !anyGlobal &&
		(def != "watch" || top == nil || top.g.rules[top.rule].effect == "allow") {
		return &Decision{Action: def, Message: msg, MatchedPolicies: matched}
	}
	if top == nil {
		return &Decision{Action: def, Message: noRule}
	}
	return reported(top, top.g.rules[top.rule].effect, matched)
}

func (e *evalCtx) evaluate() *Decision {
	b := e.b
	fields := &e.fieldsV
	if err := fillFields(e.call, fields); err != nil {
		return deny("ambiguous tool input (" + err.Error() + "); failing closed")
	}
	e.fields = fields
	tooLong, size, err := overlongField(e.call, fields, b.paramNames)
	if err != nil {
		return deny("tool call holds a number out of range; failing closed")
	}
	if tooLong != "" {
		return deny(fmt.Sprintf("%s is %d bytes and exceeds the %d-byte policy matching limit; failing closed",
			tooLong, size, MaxGlobInputBytes))
	}
	pl := e.plan()
	holding := e.boolBuf(len(b.conds), 2)
	for _, cid := range pl.always {
		holding[cid] = true
	}
	candidate := e.boolBuf(len(b.conds), 3)
	for _, cid := range pl.untrig {
		candidate[cid] = true
	}
	for _, t := range pl.tables {
		idx := b.triggers[t]
		ids := e.fieldIDs(t)
		if ids == nil || idx == nil {
			continue
		}
		inScope := pl.inScope
		ids.each(func(pid int) {
			for _, cid := range idx[pid] {
				if inScope[cid] { // a condition of no group in scope cannot fire
					candidate[cid] = true
				}
			}
		})
	}
	for cid, on := range candidate {
		if on && !holding[cid] && e.holds(b.conds[cid]) {
			holding[cid] = true
		}
	}
	o := e.order(pl)
	return b.combine(e.fire(holding, pl, o, true), pl, o)
}

// evaluateResponse is Bundle._evaluate_response (engine.go EvaluateResponse).
func (e *evalCtx) evaluateResponse(response string) *Decision {
	b := e.b
	pl := e.plan()
	if !anyInScope(pl) {
		return &Decision{Action: "allow", Message: "no matching policy; response allowed"}
	}
	if !pl.response || response == "" {
		return &Decision{Action: "allow", Message: "no matching response rule; response allowed"}
	}
	if overResponseLimit(response) {
		return deny(fmt.Sprintf("response exceeds the %d-byte policy matching limit; failing closed", MaxResponseBytes))
	}
	hits := b.tables[tResponse].scan(response, &e.sc)
	holding := e.boolBuf(len(b.conds), 2)
	hits.each(func(pid int) {
		for _, cid := range b.respTriggers[pid] {
			if !b.conds[cid].respExcl.meets(hits) {
				holding[cid] = true
			}
		}
	})
	var top *firing
	matched := []string{}
	fired := e.fire(holding, pl, e.order(pl), false)
	for i := range fired {
		f := &fired[i]
		ru := &f.g.rules[f.rule]
		matched = append(matched, f.g.names[f.member])
		switch ru.effect {
		case "deny", "webhook", "ask":
			return reported(f, "deny", matched)
		}
		if top == nil {
			top = f
			continue
		}
		if tr := &top.g.rules[top.rule]; tr.effect == "allow" && (ru.effect == "watch" || tr.message == "") {
			top = f
		}
	}
	if top == nil {
		return &Decision{Action: "allow", Message: "no matching response rule; response allowed"}
	}
	return reported(top, top.g.rules[top.rule].effect, matched)
}

func (b *Bundle) ctx(call *ToolCall, opts *Options) *evalCtx {
	e := ctxPool.Get().(*evalCtx)
	e.reset()
	e.b, e.call = b, call
	if opts != nil {
		e.history = opts.History
		e.nowTime = opts.Now
	}
	if e.nowTime.IsZero() {
		e.nowTime = time.Now()
	}
	e.nowTime = e.nowTime.UTC().Truncate(time.Microsecond)
	e.now = Micros(e.nowTime)
	return e
}

func safely(run func() *Decision) (d *Decision) {
	defer func() {
		if r := recover(); r != nil {
			text := errorText(r)
			if len(text) > 200 {
				text = text[:200] + "..."
			}
			d = deny("internal error deciding the call (panic: " + text + "); failing closed")
		}
	}()
	return run()
}

func (e *evalCtx) release() {
	e.reset()
	e.b = nil
	ctxPool.Put(e)
}

func (b *Bundle) request(call *ToolCall, opts *Options) *Decision {
	e := b.ctx(call, opts)
	defer e.release()
	return e.evaluate()
}

func (b *Bundle) response(call *ToolCall, response string, opts *Options) *Decision {
	e := b.ctx(call, opts)
	defer e.release()
	return e.evaluateResponse(response)
}

// Evaluate is the request-side decision (Bundle.evaluate).
func (b *Bundle) Evaluate(call *ToolCall, opts *Options) *Decision {
	return safely(func() *Decision { return b.request(call, opts) })
}

// EvaluateResponse is the response-side decision (Bundle.evaluate_response).
func (b *Bundle) EvaluateResponse(call *ToolCall, response string, opts *Options) *Decision {
	return safely(func() *Decision { return b.response(call, response, opts) })
}

// Decide is Bundle.decide on a parsed call.
func (b *Bundle) Decide(call *ToolCall, opts *Options) *Decision {
	return safely(func() *Decision {
		request := b.request(call, opts)
		if call.Response == nil || request.Action == "deny" {
			return request
		}
		response := b.response(call, *call.Response, opts)
		if rankOf(response.Action) > rankOf(request.Action) {
			return response
		}
		return request
	})
}

// DecideAny is Bundle.decide on a decoded JSON value: a call that cannot
// be read is denied (`invalid tool call (REASON); failing closed`).
func (b *Bundle) DecideAny(call *Value, opts *Options) *Decision {
	tc, err := CallFromValue(call)
	if err != nil {
		return deny("invalid tool call (" + err.Error() + "); failing closed")
	}
	return b.Decide(tc, opts)
}

// DecideValue is what policyc eval does with a decoded line: the error is
// from_mapping's (printed as the line's error).
func (b *Bundle) DecideValue(call *Value, opts *Options) (*Decision, error) {
	tc, err := CallFromValue(call)
	if err != nil {
		return nil, err
	}
	return b.Decide(tc, opts), nil
}
