package policyc

// Decision and RuleRef (policyc/decision.py) and their JSON.

// RuleRef is the deciding rule.
type RuleRef struct {
	Policy string
	Index  Value // an int
	Tier   string
	Path   *string
	Line   Value // int or null
	Column Value
}

// JSON is RuleRef.to_json.
func (r *RuleRef) JSON() Value {
	pairs := []any{"policy", Str(r.Policy), "rule", r.Index, "tier", Str(r.Tier)}
	if r.Path != nil {
		pairs = append(pairs, "path", Str(*r.Path), "line", r.Line, "column", r.Column)
	}
	return NewObject(pairs...)
}

// Decision is a decision on a tool call.
type Decision struct {
	Action          string
	Message         string
	MatchedPolicies []string
	Rule            *RuleRef
	Project         bool
}

func deny(message string) *Decision { return &Decision{Action: "deny", Message: message} }

// JSON is Decision.to_json.
func (d *Decision) JSON() Value {
	names := make([]Value, len(d.MatchedPolicies))
	for i, n := range d.MatchedPolicies {
		names[i] = Str(n)
	}
	rule := NullV()
	if d.Rule != nil {
		rule = d.Rule.JSON()
	}
	return NewObject("action", Str(d.Action), "message", Str(d.Message), "matched_policies", ListV(names...),
		"rule", rule, "project", BoolV(d.Project))
}

// JSONText is json.dumps(decision.to_json(), sort_keys=True).
func (d *Decision) JSONText() string {
	v := d.JSON()
	return string(DumpsSorted(&v))
}
