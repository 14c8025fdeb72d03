package exporter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

// A request in the spool is one record: encode writes it, and
// decodeRequest reads it back for the replayer. Record layout (version 1),
// after the spool's own framing:
//
//	version  1 byte, 1
//	kind     1 byte, a reqKind
//	flags    1 byte, bit 0: joined; bit 1: ownRoot, only on an end (records
//	         written before bit 1 existed have it clear: their roots count
//	         in no bucket, as they did then)
//	spans    uvarint
//	trace    uvarint length, bytes
//	pathID   uvarint length, bytes
//	tenant   uvarint length, bytes
//	body     the rest
const recordVersion = 1

// Record flags.
const (
	flagJoined  = 1 << 0
	flagOwnRoot = 1 << 1
)

func (r *request) encode(b []byte) []byte {
	var flags byte
	if r.joined {
		flags |= flagJoined
	}
	if r.ownRoot && r.kind.isEnd() {
		flags |= flagOwnRoot
	}
	b = append(b, recordVersion, byte(r.kind), flags)
	b = binary.AppendUvarint(b, uint64(r.spans))
	for _, s := range [...]string{r.trace, r.pathID, r.tenant} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, r.body...)
}

var errBadRecord = errors.New("undecodable spool record")

// decodeRequest reads a record written by encode. The spool's checksums
// catch damage; these checks keep a record written by something else (or a
// checksum collision) from reaching the network: ids must pass the trace-id
// rule (so the path stays one of ours) and the tenant the header rule.
func decodeRequest(p []byte) (request, error) {
	bad := func(what string) (request, error) { return request{}, fmt.Errorf("%w: %s", errBadRecord, what) }
	if len(p) < 3 {
		return bad("too short")
	}
	if p[0] != recordVersion {
		return bad(fmt.Sprintf("version %d", p[0]))
	}
	r := request{kind: reqKind(p[1]), joined: p[2]&flagJoined != 0, ownRoot: p[2]&flagOwnRoot != 0}
	// encode sets ownRoot only on an end: any other set bit is not ours.
	if r.kind < kindStart || r.kind > kindFail || p[2]&^(flagJoined|flagOwnRoot) != 0 || (r.ownRoot && !r.kind.isEnd()) {
		return bad("kind or flags")
	}
	p = p[3:]
	n, k := uvarint(p)
	if k <= 0 || n > MaxSpansPerRequest || (r.kind != kindSpans && n != 0) {
		return bad("span count")
	}
	r.spans, p = int(n), p[k:]
	var fields [3]string
	for i := range fields {
		n, k := uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return bad("field length")
		}
		fields[i], p = string(p[k:k+int(n)]), p[k+int(n):]
	}
	r.trace, r.pathID, r.tenant = fields[0], fields[1], fields[2]
	// validate.TraceID trims: an id must be exactly its checked form.
	if id, err := validate.TraceID(r.trace); err != nil || id != r.trace {
		return bad("trace id")
	}
	if id, err := validate.TraceID(r.pathID); err != nil || id != r.pathID {
		return bad("path id")
	}
	if r.tenant != "" && validate.ID("tenant id", r.tenant, validate.MaxTenantID) != nil {
		return bad("tenant")
	}
	if len(p) == 0 || p[0] != '{' {
		return bad("body")
	}
	r.body = p
	return r, nil
}

// uvarint reads a number as encode writes it: binary.Uvarint also takes
// longer encodings of the same number (0x80 0x00 for 0), which encode
// would not give back, so it refuses them (k = 0). A record must be
// exactly what encode wrote: one meaning, one spelling.
func uvarint(p []byte) (uint64, int) {
	n, k := binary.Uvarint(p)
	if k > 0 && k != len(binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64), n)) {
		return 0, 0
	}
	return n, k
}
