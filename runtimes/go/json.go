package policyc

// JSON as Python's json module reads and writes it (policyc/runtime/jsonparse.py):
// a nesting scan before parsing, the C scanner's error messages and
// character offsets, arbitrary-size integers (refused over 4,300 digits),
// NaN/Infinity, duplicate keys (the last value wins, at the first key's
// place), lone surrogate escapes (kept, as WTF-8 bytes ED A0..BF xx), and
// encoders for canonical bundle bytes and for json.dumps(..., sort_keys=True).

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind of a JSON value.
type Kind uint8

const (
	KNull Kind = iota
	KBool
	KInt
	KFloat
	KString
	KArray
	KObject
)

// Value is a decoded JSON value. Strings are WTF-8 (a lone surrogate escape
// becomes its 3-byte generalized UTF-8 form).
type Value struct {
	K   Kind
	B   bool
	S   string   // KString: the text; KInt/KFloat: the number's source text
	I   int64    // KInt when Big is nil
	Big *big.Int // KInt beyond int64
	F   float64  // KFloat
	A   []Value
	O   *Object
}

// Object keeps keys in first-insertion order (a Python dict).
type Object struct {
	Keys  []string
	Vals  []Value
	index map[string]int
}

func (o *Object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.Keys {
		if key == k {
			return i
		}
	}
	return -1
}

func (o *Object) set(k string, v Value) {
	if i := o.find(k); i >= 0 {
		o.Vals[i] = v
		return
	}
	o.Keys = append(o.Keys, k)
	o.Vals = append(o.Vals, v)
	if o.index != nil {
		o.index[k] = len(o.Keys) - 1
	} else if len(o.Keys) > 16 {
		o.index = make(map[string]int, len(o.Keys)*2)
		for i, key := range o.Keys {
			o.index[key] = i
		}
	}
}

// Get returns the member k (Python dict.get).
func (o *Object) Get(k string) (*Value, bool) {
	if o == nil {
		return nil, false
	}
	if i := o.find(k); i >= 0 {
		return &o.Vals[i], true
	}
	return nil, false
}

// Len is the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.Keys)
}

// NewObject builds an object from pairs (for encoding).
func NewObject(pairs ...any) Value {
	o := &Object{}
	for i := 0; i+1 < len(pairs); i += 2 {
		o.set(pairs[i].(string), pairs[i+1].(Value))
	}
	return Value{K: KObject, O: o}
}

// Str, IntV, BoolV, NullV, ListV build values.
func Str(s string) Value      { return Value{K: KString, S: s} }
func IntV(i int64) Value      { return Value{K: KInt, I: i, S: strconv.FormatInt(i, 10)} }
func BoolV(b bool) Value      { return Value{K: KBool, B: b} }
func NullV() Value            { return Value{} }
func ListV(vs ...Value) Value { return Value{K: KArray, A: vs} }

// Truthy is Python truthiness of the decoded value.
func (v *Value) Truthy() bool {
	if v == nil {
		return false
	}
	switch v.K {
	case KNull:
		return false
	case KBool:
		return v.B
	case KInt:
		if v.Big != nil {
			return v.Big.Sign() != 0
		}
		return v.I != 0
	case KFloat:
		return v.F != 0
	case KString:
		return v.S != ""
	case KArray:
		return len(v.A) > 0
	case KObject:
		return v.O.Len() > 0
	}
	return false
}

// TypeName is Python's type(value).__name__.
func (v *Value) TypeName() string {
	if v == nil {
		return "NoneType"
	}
	switch v.K {
	case KNull:
		return "NoneType"
	case KBool:
		return "bool"
	case KInt:
		return "int"
	case KFloat:
		return "float"
	case KString:
		return "str"
	case KArray:
		return "list"
	}
	return "dict"
}

// ------------------------------------------------------------ nesting scan

// NestingDepth is jsonparse.nesting_depth: the deepest array/object nesting,
// string literals skipped (an unterminated one runs to the end).
func NestingDepth(data []byte) int {
	depth, best := 0, 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i++
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
		case '[', '{':
			depth++
			if depth > best {
				best = depth
			}
		case ']', '}':
			depth--
		}
	}
	return best
}

// --------------------------------------------------------------- parsing

// MaxCallBytes and MaxCallDepth are policyc eval's per-line limits.
const (
	MaxCallBytes = 1 << 20
	MaxCallDepth = 64
	maxIntDigits = 4300
)

type jsonErr struct {
	msg string
	pos int // byte offset
	raw bool
}

func (e *jsonErr) Error() string { return e.msg }

type parser struct {
	s            []byte
	integersOnly bool
}

// ParseJSON is jsonparse.parse_json: the error text is the ValueError's.
func ParseJSON(data []byte, maxDepth int, integersOnly bool) (Value, error) {
	if depth := NestingDepth(data); depth > maxDepth {
		return Value{}, fmt.Errorf("JSON nests %d levels deep, over the limit of %d", depth, maxDepth)
	}
	if bad := invalidUTF8At(data); bad >= 0 {
		return Value{}, fmt.Errorf("not valid UTF-8 (byte 0x%02x at offset %d)", data[bad], bad)
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return Value{}, errors.New("invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) (at offset 0)")
	}
	p := &parser{s: data, integersOnly: integersOnly}
	v, end, err := p.decode()
	if err != nil {
		var je *jsonErr
		if errors.As(err, &je) && !je.raw {
			return Value{}, fmt.Errorf("invalid JSON: %s (at offset %d)", je.msg, utf8.RuneCount(data[:je.pos]))
		}
		return Value{}, fmt.Errorf("invalid JSON: %s", err.Error())
	}
	_ = end
	return v, nil
}

// invalidUTF8At is the offset of the first byte Python's strict UTF-8
// decoder refuses (surrogates, overlongs and > U+10FFFF included), or -1.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skip(i int) int {
	for i < len(p.s) && isWS(p.s[i]) {
		i++
	}
	return i
}

func (p *parser) decode() (Value, int, error) {
	i := p.skip(0)
	v, end, err := p.value(i)
	if err != nil {
		return v, end, err
	}
	end = p.skip(end)
	if end != len(p.s) {
		return Value{}, end, &jsonErr{msg: "Extra data", pos: end}
	}
	return v, end, nil
}

func (p *parser) hasAt(i int, lit string) bool {
	return i+len(lit) <= len(p.s) && string(p.s[i:i+len(lit)]) == lit
}

// value is scan_once: a "StopIteration" is reported as "Expecting value".
func (p *parser) value(i int) (Value, int, error) {
	if i >= len(p.s) {
		return Value{}, i, &jsonErr{msg: "Expecting value", pos: i}
	}
	switch p.s[i] {
	case '"':
		s, end, err := p.str(i + 1)
		return Value{K: KString, S: s}, end, err
	case '{':
		return p.object(i + 1)
	case '[':
		return p.array(i + 1)
	case 'n':
		if p.hasAt(i, "null") {
			return Value{}, i + 4, nil
		}
	case 't':
		if p.hasAt(i, "true") {
			return Value{K: KBool, B: true}, i + 4, nil
		}
	case 'f':
		if p.hasAt(i, "false") {
			return Value{K: KBool}, i + 5, nil
		}
	case 'N':
		if p.hasAt(i, "NaN") {
			return p.constant("NaN", math.NaN(), i+3)
		}
	case 'I':
		if p.hasAt(i, "Infinity") {
			return p.constant("Infinity", math.Inf(1), i+8)
		}
	case '-':
		if p.hasAt(i, "-Infinity") {
			return p.constant("-Infinity", math.Inf(-1), i+9)
		}
	}
	return p.number(i)
}

func (p *parser) constant(text string, f float64, end int) (Value, int, error) {
	if p.integersOnly {
		return Value{}, end, &jsonErr{msg: "non-integer number " + pyStrRepr(text), raw: true}
	}
	return Value{K: KFloat, F: f, S: text}, end, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number(start int) (Value, int, error) {
	s, i := p.s, start
	n := len(s)
	if i < n && s[i] == '-' {
		i++
		if i >= n {
			return Value{}, start, &jsonErr{msg: "Expecting value", pos: start}
		}
	}
	if i < n && s[i] >= '1' && s[i] <= '9' {
		i++
		for i < n && isDigit(s[i]) {
			i++
		}
	} else if i < n && s[i] == '0' {
		i++
	} else {
		return Value{}, start, &jsonErr{msg: "Expecting value", pos: start}
	}
	isFloat := false
	if i < n-1 && s[i] == '.' && isDigit(s[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(s[i]) {
			i++
		}
	}
	if i < n-1 && (s[i] == 'e' || s[i] == 'E') {
		e := i
		i++
		if i < n-1 && (s[i] == '-' || s[i] == '+') {
			i++
		}
		d := i
		for i < n && isDigit(s[i]) {
			i++
		}
		if i > d {
			isFloat = true
		} else {
			i = e
		}
	}
	text := string(s[start:i])
	if isFloat {
		if p.integersOnly {
			t := text
			if r := []rune(t); len(r) > 40 {
				t = string(r[:40])
			}
			return Value{}, i, &jsonErr{msg: "non-integer number " + pyStrRepr(t), raw: true}
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			var ne *strconv.NumError
			if !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
				return Value{}, i, &jsonErr{msg: "Expecting value", pos: start}
			}
		}
		return Value{K: KFloat, F: f, S: text}, i, nil
	}
	digits := len(text)
	if text[0] == '-' {
		digits--
	}
	if digits > maxIntDigits {
		return Value{}, i, &jsonErr{raw: true, msg: fmt.Sprintf("Exceeds the limit (%d digits) for integer string "+
			"conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", maxIntDigits, digits)}
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return Value{K: KInt, I: v, S: text}, i, nil
	}
	b, _ := new(big.Int).SetString(text, 10)
	return Value{K: KInt, Big: b, S: text}, i, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func appendCodePoint(b []byte, c int) []byte {
	if c >= 0xD800 && c <= 0xDFFF { // WTF-8
		return append(b, byte(0xE0|c>>12), byte(0x80|(c>>6)&0x3F), byte(0x80|c&0x3F))
	}
	return utf8.AppendRune(b, rune(c))
}

// str is scanstring_unicode from just after the opening quote.
func (p *parser) str(end int) (string, int, error) {
	s := p.s
	n := len(s)
	begin := end - 1
	var out []byte
	for {
		next := end
		var c byte
		for ; next < n; next++ {
			c = s[next]
			if c == '"' || c == '\\' {
				break
			}
			if c <= 0x1f {
				return "", next, &jsonErr{msg: "Invalid control character at", pos: next}
			}
		}
		if next >= n {
			return "", next, &jsonErr{msg: "Unterminated string starting at", pos: begin}
		}
		if c == '"' && out == nil {
			return string(s[end:next]), next + 1, nil
		}
		out = append(out, s[end:next]...)
		next++
		if c == '"' {
			return string(out), next, nil
		}
		if next == n {
			return "", next, &jsonErr{msg: "Unterminated string starting at", pos: begin}
		}
		c = s[next]
		if c != 'u' {
			end = next + 1
			var r byte
			switch c {
			case '"', '\\', '/':
				r = c
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default:
				return "", end, &jsonErr{msg: "Invalid \\escape", pos: end - 2}
			}
			out = append(out, r)
			continue
		}
		next++
		end = next + 4
		if end >= n {
			return "", end, &jsonErr{msg: "Invalid \\uXXXX escape", pos: next - 1}
		}
		cp := 0
		for ; next < end; next++ {
			h := hexVal(s[next])
			if h < 0 {
				return "", end, &jsonErr{msg: "Invalid \\uXXXX escape", pos: end - 5}
			}
			cp = cp<<4 | h
		}
		if cp >= 0xD800 && cp <= 0xDBFF && end+6 < n && s[next] == '\\' && s[next+1] == 'u' {
			next += 2
			end += 6
			c2 := 0
			for ; next < end; next++ {
				h := hexVal(s[next])
				if h < 0 {
					return "", end, &jsonErr{msg: "Invalid \\uXXXX escape", pos: end - 5}
				}
				c2 = c2<<4 | h
			}
			if c2 >= 0xDC00 && c2 <= 0xDFFF {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (c2 - 0xDC00)
			} else {
				end -= 6
			}
		}
		out = appendCodePoint(out, cp)
	}
}

func (p *parser) object(i int) (Value, int, error) {
	s, n := p.s, len(p.s)
	obj := &Object{}
	i = p.skip(i)
	if i < n && s[i] == '}' {
		return Value{K: KObject, O: obj}, i + 1, nil
	}
	for {
		if i >= n || s[i] != '"' {
			return Value{}, i, &jsonErr{msg: "Expecting property name enclosed in double quotes", pos: i}
		}
		key, end, err := p.str(i + 1)
		if err != nil {
			return Value{}, end, err
		}
		i = p.skip(end)
		if i >= n || s[i] != ':' {
			return Value{}, i, &jsonErr{msg: "Expecting ':' delimiter", pos: i}
		}
		i = p.skip(i + 1)
		v, end, err := p.value(i)
		if err != nil {
			return Value{}, end, err
		}
		obj.set(key, v)
		i = p.skip(end)
		if i < n && s[i] == '}' {
			return Value{K: KObject, O: obj}, i + 1, nil
		}
		if i >= n || s[i] != ',' {
			return Value{}, i, &jsonErr{msg: "Expecting ',' delimiter", pos: i}
		}
		i = p.skip(i + 1)
	}
}

func (p *parser) array(i int) (Value, int, error) {
	s, n := p.s, len(p.s)
	var items []Value
	i = p.skip(i)
	if i < n && s[i] == ']' {
		return Value{K: KArray, A: []Value{}}, i + 1, nil
	}
	for {
		v, end, err := p.value(i)
		if err != nil {
			return Value{}, end, err
		}
		items = append(items, v)
		i = p.skip(end)
		if i < n && s[i] == ']' {
			return Value{K: KArray, A: items}, i + 1, nil
		}
		if i >= n || s[i] != ',' {
			return Value{}, i, &jsonErr{msg: "Expecting ',' delimiter", pos: i}
		}
		i = p.skip(i + 1)
	}
}

// -------------------------------------------------------------- encoding

// decodeWTF8 decodes one code point of a WTF-8 string (a lone surrogate
// included); an invalid byte is returned as itself with size 1 and ok false.
func decodeWTF8(s string, i int) (cp rune, size int, ok bool) {
	c := s[i]
	if c < 0x80 {
		return rune(c), 1, true
	}
	if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
		return rune(0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)), 3, true
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 {
		return rune(c), 1, false
	}
	return r, n, true
}

// HasSurrogate reports whether a WTF-8 string holds a lone surrogate.
func HasSurrogate(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xED && s[i+1] >= 0xA0 {
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

func appendU(b []byte, c rune) []byte {
	return append(b, '\\', 'u', hexDigits[c>>12&0xF], hexDigits[c>>8&0xF], hexDigits[c>>4&0xF], hexDigits[c&0xF])
}

// appendPyString is json.dumps's string encoding: ensure_ascii escapes
// everything outside ASCII (surrogate pairs above the BMP); otherwise only
// quote, backslash and control characters are escaped. ok is false for a
// lone surrogate when !ensureASCII (Python cannot encode it).
func appendPyString(b []byte, s string, ensureASCII bool) ([]byte, bool) {
	ok := true
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				if c < 0x20 {
					b = appendU(b, rune(c))
				} else {
					b = append(b, c)
				}
			}
			i++
			continue
		}
		cp, size, valid := decodeWTF8(s, i)
		if !ensureASCII {
			if !valid || (cp >= 0xD800 && cp <= 0xDFFF) {
				ok = false
			}
			b = append(b, s[i:i+size]...)
		} else if cp >= 0x10000 {
			v := cp - 0x10000
			b = appendU(b, 0xD800|(v>>10)&0x3FF)
			b = appendU(b, 0xDC00|v&0x3FF)
		} else {
			b = appendU(b, cp)
		}
		i += size
	}
	return append(b, '"'), ok
}

func floatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyFloatRepr(f)
}

// pyFloatRepr is Python's repr(float).
func pyFloatRepr(f float64) string {
	if math.IsNaN(f) {
		return "nan"
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	digits := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±XX
	mant, expPart, _ := strings.Cut(digits, "e")
	exp, _ := strconv.Atoi(expPart)
	ds := strings.Replace(mant, ".", "", 1)
	sign := ""
	if math.Signbit(f) {
		sign = "-"
	}
	if exp < -4 || exp >= 16 {
		body := ds[:1]
		if len(ds) > 1 {
			body += "." + ds[1:]
		}
		es := "+"
		if exp < 0 {
			es = "-"
			exp = -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, body, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + ds
	}
	if len(ds) <= exp+1 {
		return sign + ds + strings.Repeat("0", exp+1-len(ds)) + ".0"
	}
	return sign + ds[:exp+1] + "." + ds[exp+1:]
}

// encoder writes Python json.dumps output.
type encoder struct {
	ensureASCII bool
	itemSep     string
	keySep      string
	ok          bool
}

func sortedKeys(o *Object) []int {
	idx := make([]int, len(o.Keys))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return pyLess(o.Keys[idx[a]], o.Keys[idx[b]]) })
	return idx
}

// pyLess compares strings by code point (WTF-8 byte order is code point order).
func pyLess(a, b string) bool { return a < b }

func (e *encoder) encode(b []byte, v *Value) []byte {
	switch v.K {
	case KNull:
		return append(b, "null"...)
	case KBool:
		if v.B {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case KInt:
		if v.Big != nil {
			return append(b, v.Big.String()...)
		}
		return strconv.AppendInt(b, v.I, 10)
	case KFloat:
		return append(b, floatRepr(v.F)...)
	case KString:
		var ok bool
		b, ok = appendPyString(b, v.S, e.ensureASCII)
		if !ok {
			e.ok = false
		}
		return b
	case KArray:
		b = append(b, '[')
		for i := range v.A {
			if i > 0 {
				b = append(b, e.itemSep...)
			}
			b = e.encode(b, &v.A[i])
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for n, i := range sortedKeys(v.O) {
		if n > 0 {
			b = append(b, e.itemSep...)
		}
		var ok bool
		b, ok = appendPyString(b, v.O.Keys[i], e.ensureASCII)
		if !ok {
			e.ok = false
		}
		b = append(b, e.keySep...)
		b = e.encode(b, &v.O.Vals[i])
	}
	return append(b, '}')
}

// Canonical is the canonical bundle encoding (sorted keys, compact, UTF-8
// as itself); ok is false when Python could not encode the value (a lone
// surrogate).
func Canonical(v *Value) ([]byte, bool) {
	e := &encoder{itemSep: ",", keySep: ":", ok: true}
	b := e.encode(nil, v)
	return b, e.ok
}

// DumpsSorted is json.dumps(v, sort_keys=True): ASCII, ", " and ": ".
func DumpsSorted(v *Value) []byte {
	e := &encoder{ensureASCII: true, itemSep: ", ", keySep: ": ", ok: true}
	return e.encode(nil, v)
}

// ------------------------------------------------------------------ repr

// pyStrRepr is Python's repr(str).
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b := []byte{quote}
	for i := 0; i < len(s); {
		cp, size, _ := decodeWTF8(s, i)
		i += size
		switch {
		case cp == rune(quote) || cp == '\\':
			b = append(b, '\\', byte(cp))
		case cp == '\n':
			b = append(b, '\\', 'n')
		case cp == '\r':
			b = append(b, '\\', 'r')
		case cp == '\t':
			b = append(b, '\\', 't')
		case cp < 0x20 || cp == 0x7F:
			b = append(b, fmt.Sprintf("\\x%02x", cp)...)
		case cp < 0x7F:
			b = append(b, byte(cp))
		case cp >= 0xD800 && cp <= 0xDFFF:
			b = append(b, fmt.Sprintf("\\u%04x", cp)...)
		case unicode.IsPrint(cp):
			b = utf8.AppendRune(b, cp)
		case cp <= 0xFF:
			b = append(b, fmt.Sprintf("\\x%02x", cp)...)
		case cp <= 0xFFFF:
			b = append(b, fmt.Sprintf("\\u%04x", cp)...)
		default:
			b = append(b, fmt.Sprintf("\\U%08x", cp)...)
		}
	}
	return string(append(b, quote))
}

// pyRepr is Python's repr of a decoded JSON value.
func pyRepr(v *Value) string {
	if v == nil {
		return "None"
	}
	switch v.K {
	case KNull:
		return "None"
	case KBool:
		if v.B {
			return "True"
		}
		return "False"
	case KInt:
		if v.Big != nil {
			return v.Big.String()
		}
		return strconv.FormatInt(v.I, 10)
	case KFloat:
		return pyFloatRepr(v.F)
	case KString:
		return pyStrRepr(v.S)
	case KArray:
		parts := make([]string, len(v.A))
		for i := range v.A {
			parts[i] = pyRepr(&v.A[i])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	parts := make([]string, len(v.O.Keys))
	for i, k := range v.O.Keys {
		parts[i] = pyStrRepr(k) + ": " + pyRepr(&v.O.Vals[i])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
