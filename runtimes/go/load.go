package policyc

// Reading and verifying a bundle (policyc/runtime/load.py), and the
// fail-closed decision function.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const (
	bundleFormat        = "policyc-bundle"
	bundleFormatVersion = 4
	// MaxBundleDepth is the deepest nesting a bundle may have.
	MaxBundleDepth = 32
)

var payloadMark = []byte(`,"payload":`)

// LoadError is a refused bundle (Python's BundleError); its text is the
// Python loader's message.
type LoadError struct{ Msg string }

func (e *LoadError) Error() string { return e.Msg }

func rawPayload(data []byte) ([]byte, error) {
	body := bytes.TrimRight(data, " \t\r\n")
	at := bytes.Index(body, payloadMark)
	if at < 0 || !bytes.HasSuffix(body, []byte("}")) {
		return nil, &LoadError{`bundle is not canonical: the "payload" member must come last`}
	}
	start := at + len(payloadMark)
	if start > len(body)-1 {
		return []byte{}, nil
	}
	return body[start : len(body)-1], nil
}

func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// LoadBundle reads, verifies and prepares a bundle file.
func LoadBundle(path string) (*Bundle, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, &LoadError{path + ": cannot read bundle: embedded null byte"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{path + ": cannot read bundle: " + strerror(err)}
	}
	return LoadBundleBytes(data, path)
}

// LoadBundleBytes verifies bundle bytes; where names the bundle in messages
// (Python uses "bundle" for bytes).
func LoadBundleBytes(data []byte, where string) (b *Bundle, err error) {
	defer func() {
		if r := recover(); r != nil { // never escape: a refused bundle
			b, err = nil, &LoadError{where + ": bundle cannot be used: internal error: " + strings.TrimSpace(strings.SplitN(
				errorText(r), "\n", 2)[0])}
		}
	}()
	document, perr := ParseJSON(data, MaxBundleDepth, true)
	if perr != nil {
		return nil, &LoadError{where + ": not a JSON bundle: " + perr.Error()}
	}
	var format *Value
	if document.K == KObject {
		format, _ = document.O.Get("format")
	}
	if document.K != KObject || format == nil || format.K != KString || format.S != bundleFormat {
		return nil, &LoadError{where + `: not a policyc bundle ("format" must be 'policyc-bundle')`}
	}
	version, _ := document.O.Get("format_version")
	if version == nil || version.K != KInt || version.Big != nil || version.I != bundleFormatVersion {
		return nil, &LoadError{where + ": unsupported bundle format_version " + pyRepr(version) +
			" (this runtime reads version " + strconv.Itoa(bundleFormatVersion) + "; recompile with a matching policyc)"}
	}
	manifest, _ := document.O.Get("manifest")
	payload, _ := document.O.Get("payload")
	var digest *Value
	if manifest != nil && manifest.K == KObject {
		digest, _ = manifest.O.Get("digest")
	}
	if manifest == nil || manifest.K != KObject || digest == nil || digest.K != KString || payload == nil ||
		payload.K != KObject {
		return nil, &LoadError{where + ": bundle lacks a manifest digest or a payload"}
	}
	host, _ := manifest.O.Get("host")
	if host == nil || host.K != KString || host.S != "linux" {
		return nil, &LoadError{where + ": bundle compiled for host family " + pyRepr(host) +
			"; this runtime decides as the engine does on linux"}
	}
	raw, rerr := rawPayload(data)
	if rerr != nil {
		return nil, rerr
	}
	sum := sha256.Sum256(raw)
	found := "sha256:" + hex.EncodeToString(sum[:])
	if found != digest.S {
		return nil, &LoadError{where + ": bundle digest mismatch: the payload was modified after compilation (expected " +
			digest.S + ", found " + found + ")"}
	}
	canonical, ok := Canonical(payload)
	if !ok || !bytes.Equal(canonical, raw) {
		return nil, &LoadError{where + ": bundle payload is not in canonical form"}
	}
	bundle, berr := newBundle(&document)
	if berr != nil {
		return nil, &LoadError{where + ": " + berr.Error()}
	}
	return bundle, nil
}

func errorText(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	if s, ok := r.(string); ok {
		return s
	}
	return "panic"
}

// Decider decides decoded JSON calls; it never fails.
type Decider interface {
	// DecideValue is bundle.decide(ToolCall.from_mapping(call)).to_json():
	// the error is from_mapping's ValueError (eval prints it as a line error).
	DecideValue(call *Value, opts *Options) (*Decision, error)
}

// FailClosed is policyc.runtime.fail_closed: the bundle's decisions, or a
// deny of every call when it does not load.
func FailClosed(path string) (func(call *Value, opts *Options) *Decision, *Bundle) {
	b, err := LoadBundle(path)
	if err != nil {
		return failClosedFunc(err), nil
	}
	return func(call *Value, opts *Options) *Decision { return b.DecideAny(call, opts) }, b
}

func failClosedFunc(err error) func(*Value, *Options) *Decision {
	reason := "policy bundle unavailable, failing closed: " + err.Error()
	return func(*Value, *Options) *Decision { return deny(reason) }
}

// FailClosedBytes is FailClosed for bundle bytes.
func FailClosedBytes(data []byte) func(call *Value, opts *Options) *Decision {
	b, err := LoadBundleBytes(data, "bundle")
	if err != nil {
		return failClosedFunc(err)
	}
	return func(call *Value, opts *Options) *Decision { return b.DecideAny(call, opts) }
}
