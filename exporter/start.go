package exporter

import (
	"sync"

	"github.com/tracium-ai/tracium-go/internal/api"
)

type startState uint8

const (
	notStarted startState = iota
	starting
	started
	rejected // the API refused the start for good
)

// startGate is the start state machine of one trace: a trace's requests
// pass once the API accepted its start. At most one start is sent at a
// time; whoever needs it meanwhile waits for that one. A start that could
// not be sent and is kept in the durable spool is recorded here too, so
// that the trace's later requests follow it there.
//
//	notStarted --take--> starting --settle--> started | rejected | notStarted
//	any state  --spool-> inSpool (cleared when the replay settles it)
type startGate struct {
	mu     sync.Mutex
	state  startState
	wireID string        // the id used on the wire once started
	err    error         // why the start was rejected
	waitCh chan struct{} // closed when the start attempt under way settles
	// inSpool is set while a start of the trace is in the durable spool,
	// waiting for its replay.
	inSpool bool
}

// startTurn is what [startGate.take] found.
type startTurn uint8

const (
	turnSettled startTurn = iota // accepted (no error) or refused (its error)
	turnSpooled                  // a start is in the spool: follow it there
	turnWait                     // a start is under way: wait for it
	turnHeld                     // not admitted now (the API is down): spool it
	turnSend                     // ours to send; settle must follow
)

// take claims the start for sending, unless it settled, is in the spool or
// under way. admit is asked last, under the gate's lock, whether the start
// may go to the API now; so a start refused by it is spooled before anyone
// else can claim it.
func (g *startGate) take(admit func() bool) (startTurn, <-chan struct{}, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.state == started:
		return turnSettled, nil, nil
	case g.state == rejected:
		return turnSettled, nil, g.err
	case g.inSpool:
		return turnSpooled, nil, nil
	case g.state == starting:
		return turnWait, g.waitCh, nil
	case !admit():
		return turnHeld, nil, nil
	}
	g.state = starting
	g.waitCh = make(chan struct{})
	return turnSend, nil, nil
}

// settle records the answer to the start sent after take: accepted under
// wireID, refused for good, or failed for now (the next export tries
// again). It wakes whoever waits.
func (g *startGate) settle(wireID string, err error) {
	g.mu.Lock()
	switch {
	case err == nil:
		g.state, g.wireID = started, wireID
	case api.Classify(err, false).Final():
		g.state, g.err = rejected, err
	default:
		g.state = notStarted
	}
	ch := g.waitCh
	g.mu.Unlock()
	close(ch)
}

// spool records a start kept in the spool by keep, which runs under the
// gate's lock unless the start was accepted or spooled already: whoever
// then finds inSpool set (and spools the trace's spans behind it) is sure
// that the start is in the spool, ahead of them. It returns nil (started),
// errStartSpooled or, when keep found no room, errStartDiscarded.
func (g *startGate) spool(keep func() bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.state == started:
		return nil
	case g.inSpool:
		return errStartSpooled
	}
	g.inSpool = keep()
	if g.inSpool {
		return errStartSpooled
	}
	return errStartDiscarded
}

// replayed records the replay of a spooled start: accepted under id, or
// refused with err. A start accepted live meanwhile stays as it is.
func (g *startGate) replayed(id string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inSpool = false
	if g.state == started {
		return
	}
	if err == nil {
		g.state, g.wireID = started, id
	} else {
		g.state, g.err = rejected, err
	}
}

// pathID is the trace id to use in request paths.
func (g *startGate) pathID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wireID
}

// everStarted reports whether a start was sent or is under way.
func (g *startGate) everStarted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state != notStarted || g.waitCh != nil || g.inSpool
}
