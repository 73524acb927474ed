package canon

import "strings"

// Matches ports CommandAnalysis.matches (canonicalize.command_matches):
// whether a rule's command predicate holds for the command.
//
// matches: any command_matches glob matches; contains: the command_contains
// needles; excludes: any command_not_matches glob matches; compositeMatches:
// any composite command_matches glob matches; folded: any lower-cased glob
// matches a lower-cased string; headFolded / compositeHeadFolded: any
// (composite) glob with its head folded matches a head-folded string. A nil
// Matcher is an absent field.
func (a *CommandAnalysis) Matches(granting bool, matches Matcher, contains []string, excludes,
	compositeMatches, folded, headFolded, compositeHeadFolded Matcher) bool {
	if a.blank() {
		return false
	}
	if matches == nil && len(contains) == 0 {
		return true
	}
	if tooLong(a.command) {
		return !granting
	}
	if granting {
		return a.granting(matches, contains, excludes, compositeMatches, headFolded, compositeHeadFolded)
	}
	return a.restrictive(matches, contains, excludes, folded)
}

// positive: some restrictive candidate matches, exactly or on a case-folded
// cmd.exe/PowerShell reading.
func (a *CommandAnalysis) positive(matches, folded Matcher) bool {
	if matches == nil {
		return false
	}
	if a.Overflow() || anyOf(a.Spellings(), matches) {
		return true
	}
	return folded != nil && anyOf(a.FoldedSpellings(), folded)
}

func anyOf(items []string, m Matcher) bool {
	for _, s := range items {
		if m(s) {
			return true
		}
	}
	return false
}

func anyContains(texts, needles []string) bool {
	for _, t := range texts {
		if containsFolded(t, needles) {
			return true
		}
	}
	return false
}

func (a *CommandAnalysis) restrictive(matches Matcher, contains []string, excludes, folded Matcher) bool {
	if !a.positive(matches, folded) && !anyContains(a.ContainsTexts(), contains) {
		return false
	}
	if excludes == nil {
		return true
	}
	g := a.grantAnalysis()
	parts := []string{a.command}
	if g.composite {
		parts = g.components
	}
	attributed := false
	for _, part := range parts {
		matched, positive := a.componentMatch(part, matches, contains, excludes, folded)
		attributed = attributed || positive
		if matched {
			return true
		}
	}
	// Some component matched and every such one is excluded: no match. No
	// component matched on its own: the whole-command match stands.
	return !attributed
}

// excluded: some restrictive candidate of the component, or its
// normalization, is excluded.
func (a *CommandAnalysis) excluded(component string, excludes Matcher) bool {
	p := a.part(component)
	for _, candidate := range restrictiveCandidates(component, p.grantAnalysis().components) {
		if excludes(candidate) {
			return true
		}
		if norm := a.m().normalize(candidate, posix); norm != candidate && excludes(norm) {
			return true
		}
	}
	return false
}

// componentMatch ports _component_match (the engine's
// matchRestrictiveCommandComponent): (matched, positive) of one component
// of a restrictive rule with exclusions.
func (a *CommandAnalysis) componentMatch(component string, matches Matcher, contains []string,
	excludes, folded Matcher) (bool, bool) {
	positive := false
	if len(contains) > 0 && anyContains(a.part(component).ContainsTexts(), contains) {
		positive = true
		if matches != nil || !a.excluded(component, excludes) {
			return true, true
		}
	}
	if matches == nil {
		return false, positive
	}
	canonical, overflow := canonicalAliases(component)
	hit := false
	for _, alias := range canonical {
		if matches(alias) {
			if !excludes(alias) {
				return true, true
			}
			hit = true
		}
	}
	if hit || overflow {
		return overflow, true
	}
	if a.part(component).positive(matches, folded) {
		if !a.excluded(component, excludes) {
			return true, true
		}
		positive = true
	}
	return false, positive
}

func (a *CommandAnalysis) granting(matches Matcher, contains []string, excludes, compositeMatches,
	headFolded, compositeHeadFolded Matcher) bool {
	g := a.grantAnalysis()
	if g.truncated {
		return false
	}
	foldHeads := a.HeadFold()
	granted := g.composite && a.compositeGranted(g, foldHeads, compositeMatches, compositeHeadFolded)
	if !granted && !componentsGranted(g.components, matches, contains, foldHeads && headFolded != nil, headFolded) {
		return false
	}
	if excludes != nil && anyOf(dedupeInPlace(concat([]string{a.command, g.normalized}, g.components)), excludes) {
		return false
	}
	return true
}

// compositeGranted: a composite glob matches the raw or normalized command
// (head-folded on a cmd.exe/PowerShell wrapper).
func (a *CommandAnalysis) compositeGranted(g *grantAnalysis, foldHeads bool, compositeMatches,
	compositeHeadFolded Matcher) bool {
	texts := []string{a.command}
	if g.normalized != a.command {
		texts = append(texts, g.normalized)
	}
	if compositeMatches != nil && anyOf(texts, compositeMatches) {
		return true
	}
	if !foldHeads || compositeHeadFolded == nil {
		return false
	}
	for _, t := range texts {
		if compositeHeadFolded(FoldHead(t)) {
			return true
		}
	}
	return false
}

// componentsGranted: every component is matched, head-folded-matched, or
// holds a needle (case-sensitively).
func componentsGranted(components []string, matches Matcher, contains []string, foldHeads bool,
	headFolded Matcher) bool {
	if len(components) == 0 {
		return false
	}
	for _, comp := range components {
		ok := matches != nil && matches(comp) || foldHeads && headFolded(FoldHead(comp)) ||
			holdsNeedle(comp, contains)
		if !ok {
			return false
		}
	}
	return true
}

func holdsNeedle(s string, needles []string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}
