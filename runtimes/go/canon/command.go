package canon

import "strings"

// CommandAnalysis ports canonicalize.CommandAnalysis: everything spec §5
// derives from one command, each part computed at most once, on demand. A
// pure function of the command, so a caller may keep one per distinct
// command and ask Matches for many rules. Not safe for concurrent use. The
// slices it returns are shared: do not modify them.
type CommandAnalysis struct {
	command   string
	spellings []string
	folded    []string
	overflow  bool
	grant     *grantAnalysis
	parts     map[string]*CommandAnalysis
	env       []string
	envDone   bool
	plain     bool
	contains  []string
	memo      *memo
}

// NewCommandAnalysis is the analysis of command. A plain command (see
// plain.go) is analysed at once, without tokenizing; for any other nothing
// is computed yet.
func NewCommandAnalysis(command string) *CommandAnalysis {
	return newAnalysis(command, nil)
}

// newAnalysis is the analysis of command, memoizing normalizations in m
// (shared with the parent analysis of a component; nil: a new one).
func newAnalysis(command string, m *memo) *CommandAnalysis {
	a := &CommandAnalysis{command: command, memo: m}
	if !plainFastPath {
		return a
	}
	if segments, ok := plainSegments(command, nil); ok { // every reading is known
		g := plainGrant(segments)
		a.grant, a.plain = g, true
		spellings := make([]string, 0, 2+len(segments))
		spellings = append(spellings, command, g.normalized)
		a.spellings = dedupeInPlace(append(spellings, segments...))
		a.folded = []string{}
		a.envDone = true
	}
	return a
}

func (a *CommandAnalysis) blank() bool {
	return goTrim(a.command) == ""
}

// Spellings is CommandSpellings(command).
func (a *CommandAnalysis) Spellings() []string {
	if a.spellings == nil {
		if a.blank() || tooLong(a.command) {
			a.spellings = []string{a.command}
		} else {
			a.spellings, a.folded, a.overflow = restrictiveSpellings(a.m(), a.command, a.grantAnalysis().components)
		}
	}
	return a.spellings
}

// Overflow reports more than MaxCanonicalAliases deletions in one candidate:
// a restrictive rule with command patterns then holds (fail closed).
func (a *CommandAnalysis) Overflow() bool {
	a.Spellings()
	return a.overflow
}

// ContainsTexts is what a restrictive command_contains is tested on,
// folded: the raw command and, when it holds a quote or a backslash and
// normalizing changes it, its normalization.
func (a *CommandAnalysis) ContainsTexts() []string {
	if a.contains == nil {
		a.contains = []string{a.command}
		if !a.plain && strings.ContainsAny(a.command, `'"\`) {
			if norm := a.m().normalize(a.command, posix); norm != a.command {
				a.contains = append(a.contains, norm)
			}
		}
	}
	return a.contains
}

// FoldedSpellings are the lower-cased cmd.exe/PowerShell readings of the
// restrictive candidates, matched against lower-cased patterns.
func (a *CommandAnalysis) FoldedSpellings() []string {
	a.Spellings()
	return a.folded
}

// HeadFold reports whether a granting rule folds the executable's case: the
// command looks like a cmd.exe or PowerShell wrapper.
func (a *CommandAnalysis) HeadFold() bool {
	if a.plain { // a plain head names no cmd.exe or PowerShell
		return false
	}
	d := wrapperDialect(a.command)
	return d == cmdExe || d == powerShell
}

// GrantingTexts is every string a granting rule's globs are asked about:
// the raw and normalized command and each component.
func (a *CommandAnalysis) GrantingTexts() []string {
	if a.blank() || tooLong(a.command) {
		return []string{a.command}
	}
	g := a.grantAnalysis()
	return dedupeInPlace(concat([]string{a.command, g.normalized}, g.components))
}

// EnvNames is EnvAssignmentNames(command).
func (a *CommandAnalysis) EnvNames() []string {
	if !a.envDone {
		a.env, a.envDone = EnvAssignmentNames(a.command), true
	}
	return a.env
}

// Components is what a granting rule must cover (computed even for an
// over-long command, unlike CommandComponents).
func (a *CommandAnalysis) Components() []string {
	if a.blank() {
		return nil
	}
	return a.grantAnalysis().components
}

func (a *CommandAnalysis) grantAnalysis() *grantAnalysis {
	if a.grant == nil {
		a.grant = newGrantAnalysis(a.m(), a.command)
	}
	return a.grant
}

// part is the memoized analysis of one executed component.
func (a *CommandAnalysis) part(component string) *CommandAnalysis {
	p := a.parts[component]
	if p == nil {
		if a.parts == nil {
			a.parts = map[string]*CommandAnalysis{}
		}
		p = newAnalysis(component, a.m())
		a.parts[component] = p
	}
	return p
}

// m is the analysis's memo, made on first use.
func (a *CommandAnalysis) m() *memo {
	if a.memo == nil {
		a.memo = &memo{}
	}
	return a.memo
}
