package traciumasynq_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

// redisAddr is the loopback address of the Redis server the tests use:
// TRACIUM_TEST_REDIS_ADDR (a disposable server: each test flushes the
// database it takes), else one TestMain starts from the redis-server binary
// and stops at the end.
var redisAddr string

// lastDB counts the databases the tests took. Each test takes the next of
// databases 1 to 15 (every Redis server has 16), emptied, so that it sees no
// task of the test before it; the tests do not run in parallel, and a test's
// worker stops when it ends, so the numbers can go round (-count=N).
var lastDB atomic.Int32

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	redisAddr = os.Getenv("TRACIUM_TEST_REDIS_ADDR")
	if redisAddr == "" {
		addr, stop, err := startRedis()
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: the traciumasynq tests need a real Redis server: %v\n"+
				"Run scripts/test.sh (it installs Debian's redis-server through scripts/redis.sh), "+
				"or install it (apt-get install redis-server), or set TRACIUM_TEST_REDIS_ADDR to a disposable server's host:port.\n", err)
			return 1
		}
		defer stop()
		redisAddr = addr
	}
	if err := ping(redisAddr); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: Redis at %s does not answer PING: %v\n", redisAddr, err)
		return 1
	}
	return m.Run()
}

// startRedis starts redis-server on a free loopback port, without
// persistence, and waits until it answers PING. A port taken between
// choosing it and the server binding it is retried on another, 3 times.
func startRedis() (addr string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server is not installed (not found in PATH)")
	}
	for range 3 {
		addr, stop, err = startRedisOnce(bin)
		if err == nil {
			return addr, stop, nil
		}
	}
	return "", nil, err
}

func startRedisOnce(bin string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "traciumasynq-redis")
	if err != nil {
		return "", nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--dir", dir)
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &out}, &syncWriter{w: &out}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("redis-server exited at start: %s", out.String())
		default:
		}
		if ping(addr) == nil {
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer PING within 20s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// command sends Redis inline commands on one connection and checks that
// each answer is a status reply (+...), returning them.
func command(addr string, cmds ...string) ([]string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(strings.Join(cmds, "\r\n") + "\r\n")); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	var replies []string
	for range cmds {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if !strings.HasPrefix(line, "+") {
			return nil, fmt.Errorf("redis answered %q", line)
		}
		replies = append(replies, line[1:])
	}
	return replies, nil
}

func ping(addr string) error {
	r, err := command(addr, "PING")
	if err == nil && r[0] != "PONG" {
		err = fmt.Errorf("PING answered %q", r[0])
	}
	return err
}

// newRedis returns the options of a database of its own for the test,
// emptied first.
func newRedis(t *testing.T) asynq.RedisClientOpt {
	db := 1 + int(lastDB.Add(1)-1)%15
	_, err := command(redisAddr, "SELECT "+strconv.Itoa(db), "FLUSHDB")
	require.NoError(t, err)
	return asynq.RedisClientOpt{Addr: redisAddr, DB: db}
}

// taskTypes are the prefixes of the task types the tests enqueue.
var taskTypes = []string{"email:", "reports:", "noop"}

// startWorker runs an asynq server on opt with concurrency workers, h
// (for taskTypes) behind mws, polling often and retrying at once; it is
// shut down when the test ends.
func startWorker(t *testing.T, opt asynq.RedisClientOpt, concurrency int, h asynq.HandlerFunc, mws ...asynq.MiddlewareFunc) {
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:              concurrency,
		Queues:                   map[string]int{"default": 1, "critical": 1},
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 0 },
		ShutdownTimeout:          10 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	mux := asynq.NewServeMux()
	mux.Use(mws...)
	for _, p := range taskTypes {
		mux.Handle(p, h)
	}
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
}

func newClient(t *testing.T, opt asynq.RedisClientOpt) *asynq.Client {
	c := asynq.NewClient(opt)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}
