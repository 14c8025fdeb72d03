package readmetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// imports maps the package names README blocks use to their import paths.
var imports = map[string]string{
	"context":          "context",
	"fmt":              "fmt",
	"http":             "net/http",
	"log":              "log",
	"time":             "time",
	"tracium":          "github.com/tracium-ai/tracium-go",
	"exporter":         "github.com/tracium-ai/tracium-go/exporter",
	"tenant":           "github.com/tracium-ai/tracium-go/tenant",
	"workspace":        "github.com/tracium-ai/tracium-go/workspace",
	"enduser":          "github.com/tracium-ai/tracium-go/enduser",
	"routing":          "github.com/tracium-ai/tracium-go/routing",
	"route":            "github.com/tracium-ai/tracium-go/route",
	"propagation":      "github.com/tracium-ai/tracium-go/propagation",
	"redact":           "github.com/tracium-ai/tracium-go/redact",
	"drift":            "github.com/tracium-ai/tracium-go/drift",
	"client":           "github.com/tracium-ai/tracium-go/client",
	"traciumtest":      "github.com/tracium-ai/tracium-go/traciumtest",
	"traciumopenai":    "github.com/tracium-ai/tracium-go/instrumentation/openai",
	"traciumanthropic": "github.com/tracium-ai/tracium-go/instrumentation/anthropic",
	"traciumgrpc":      "github.com/tracium-ai/tracium-go/instrumentation/grpc",
	"traciumasynq":     "github.com/tracium-ai/tracium-go/instrumentation/asynq",
	"asynq":            "github.com/hibiken/asynq",
	"traciumtemporal":  "github.com/tracium-ai/tracium-go/instrumentation/temporal",
	"temporalclient":   "go.temporal.io/sdk/client",
	"worker":           "go.temporal.io/sdk/worker",
	"workflow":         "go.temporal.io/sdk/workflow",
	"interceptor":      "go.temporal.io/sdk/interceptor",
	"sdktrace":         "go.opentelemetry.io/otel/sdk/trace",
	"otel":             "go.opentelemetry.io/otel",
	"metric":           "go.opentelemetry.io/otel/metric",
	"autoexport":       "go.opentelemetry.io/contrib/exporters/autoexport",
	"autoprop":         "go.opentelemetry.io/contrib/propagators/autoprop",
	"openai":           "github.com/openai/openai-go/v3",
	"option":           "github.com/openai/openai-go/v3/option",
	"anthropic":        "github.com/anthropics/anthropic-sdk-go",
	"anthropicoption":  "github.com/anthropics/anthropic-sdk-go/option",
	"grpc":             "google.golang.org/grpc",
	"chi":              "github.com/go-chi/chi/v5",
	"gin":              "github.com/gin-gonic/gin",
	"echo":             "github.com/labstack/echo/v4",
	"traciumriver":     "github.com/tracium-ai/tracium-go/instrumentation/river",
	"river":            "github.com/riverqueue/river",
	"riversqlite":      "github.com/riverqueue/river/riverdriver/riversqlite",
	"rivertype":        "github.com/riverqueue/river/rivertype",
	"sql":              "database/sql",
}

// givens are the variables README blocks use without declaring them: the
// application's own values. A block gets those it uses as parameters.
var givens = map[string]string{
	"ctx":              "context.Context",
	"p":                "*tracium.Provider",
	"prop":             "propagation.Tracium",
	"exp":              "*exporter.Exporter",
	"messages":         "any",
	"reply":            "any",
	"q":                "any",
	"docs":             "any",
	"answer":           "string",
	"lookupOrder":      "func(context.Context, tracium.Span) (string, error)",
	"chatHandler":      "http.HandlerFunc",
	"tenantMiddleware": "func(...tenant.Option) gin.HandlerFunc",
	"acmeKey":          "string",
	"acme":             "tenant.ID",
	"keys":             "*propagation.Keyring",
	"handler":          "http.Handler",
	"params":           "openai.ChatCompletionNewParams",
	"target":           "string",
	"id":               "string",
	"mp":               "metric.MeterProvider",
	"redisOpt":         "asynq.RedisClientOpt",
	"payload":          "[]byte",
	"taskMux":          "*asynq.ServeMux",
	"db":               "*sql.DB",
	"workers":          "*river.Workers",
	"args":             "river.JobArgs",
}

type block struct {
	line int // README line of the block's first line of code
	code string
}

// goBlocks returns the ```go blocks of a Markdown text.
func goBlocks(md string) []block {
	var blocks []block
	var cur *strings.Builder
	start := 0
	for i, l := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```go":
			cur, start = &strings.Builder{}, i+2
		case cur != nil && strings.TrimSpace(l) == "```":
			blocks = append(blocks, block{line: start, code: cur.String()})
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	return blocks
}

var importLine = regexp.MustCompile(`^import\s+(\w+|_)?\s*("[^"]+")`)

// wrap turns block b into a Go file of package blocks: its import lines
// become the file's, its statements the body of a function whose
// parameters are the givens it uses, followed by a use of every variable it
// declares. //line comments point compile errors at README.md.
func wrap(b block, n int, readme string) (string, error) {
	var fileImports []string
	imported := map[string]bool{}
	var body strings.Builder
	for _, l := range strings.Split(b.code, "\n") {
		if m := importLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			fileImports = append(fileImports, strings.TrimSpace(m[1]+" "+m[2]))
			imported[importName(m[1], strings.Trim(m[2], `"`))] = true
			body.WriteString("\n") // keep the line numbers
			continue
		}
		body.WriteString(l + "\n")
	}
	src := "package p\nfunc f() {\n" + body.String() + "\n}\n"
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("README.md:%d: block does not parse as statements: %v", b.line, err)
	}
	defined, used, pkgs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	fn := f.Decls[0].(*ast.FuncDecl)
	var topLevel []string
	for _, st := range fn.Body.List {
		if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			for _, e := range as.Lhs {
				if id, ok := e.(*ast.Ident); ok && id.Name != "_" && !slices.Contains(topLevel, id.Name) {
					topLevel = append(topLevel, id.Name)
				}
			}
		}
	}
	var visit func(node ast.Node) bool
	visit = func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, e := range x.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						defined[id.Name] = true
					}
				}
			}
		case *ast.FuncLit:
			for _, fl := range x.Type.Params.List {
				for _, nm := range fl.Names {
					defined[nm.Name] = true
				}
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if imported[id.Name] {
					return false
				}
				if _, isPkg := imports[id.Name]; isPkg && !defined[id.Name] {
					pkgs[id.Name] = true
					return false
				}
			}
			ast.Inspect(x.X, visit) // not x.Sel: a field or method name
			return false
		case *ast.KeyValueExpr:
			if _, ok := x.Key.(*ast.Ident); ok {
				ast.Inspect(x.Value, visit) // not the key: a struct field name
				return false
			}
		case *ast.Ident:
			used[x.Name] = true
		}
		return true
	}
	ast.Inspect(fn.Body, visit)
	var params []string
	for name := range used {
		typ, ok := givens[name]
		if !ok {
			continue // declared in the block, a builtin or a type: the compiler judges
		}
		if defined[name] && !usedBeforeDefined(b.code, name) {
			continue
		}
		params = append(params, name+" "+typ)
		for _, pkg := range regexp.MustCompile(`\b([a-z]\w*)\.`).FindAllStringSubmatch(typ, -1) {
			pkgs[pkg[1]] = true
		}
	}
	slices.Sort(params)
	if !imported["context"] {
		pkgs["context"] = true
	}
	for name := range pkgs {
		fileImports = append(fileImports, fmt.Sprintf("%s %q", name, imports[name]))
	}
	slices.Sort(fileImports)

	var out strings.Builder
	fmt.Fprintf(&out, "package blocks\n\nimport (\n")
	for _, imp := range fileImports {
		fmt.Fprintf(&out, "\t%s\n", imp)
	}
	fmt.Fprintf(&out, ")\n\nvar _ = context.Background\n\nfunc block%d(%s) error {\n", n, strings.Join(params, ", "))
	fmt.Fprintf(&out, "//line %s:%d\n%s", readme, b.line, body.String())
	fmt.Fprintf(&out, "//line readme_block_%d.go:1\n", n)
	for _, name := range topLevel {
		fmt.Fprintf(&out, "\t_ = %s\n", name)
	}
	out.WriteString("\treturn nil\n}\n")
	return out.String(), nil
}

// importName is the name an import line binds: its alias, else the last
// element of the path that is not a major version ("v3").
func importName(alias, path string) string {
	if alias != "" {
		return alias
	}
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && regexp.MustCompile(`^v[0-9]+$`).MatchString(last) {
		last = parts[len(parts)-2]
	}
	return last
}

// usedBeforeDefined reports whether name is used in code before the line
// that declares it with :=, as `ctx` is in `ctx, tr := tracium.StartTrace(ctx, ...)`.
func usedBeforeDefined(code, name string) bool {
	word := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
	def := regexp.MustCompile(`^\s*([\w, ]*\b` + regexp.QuoteMeta(name) + `\b[\w, ]*):=`)
	for _, l := range strings.Split(code, "\n") {
		if m := def.FindStringSubmatchIndex(l); m != nil {
			return word.MatchString(l[m[1]:]) // used on the right of its own :=
		}
		if word.MatchString(l) {
			return true
		}
	}
	return false
}

// Every Go block of README.md compiles, as a fragment of a function that is
// given the application's own values (givens) and the imports its package
// names imply. A block that stops compiling fails here with README.md's
// line number.
func TestReadmeGoBlocksCompile(t *testing.T) {
	readme, err := filepath.Abs(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(md))
	if len(blocks) < 10 {
		t.Fatalf("found %d Go blocks in README.md; the extraction is broken", len(blocks))
	}
	dir := t.TempDir()
	overlay := map[string]string{}
	pkgDir, err := filepath.Abs("blocks")
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		src, err := wrap(b, i+1, readme)
		if err != nil {
			t.Error(err)
			continue
		}
		tmp := filepath.Join(dir, fmt.Sprintf("block%d.go", i+1))
		if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(pkgDir, fmt.Sprintf("readme_block_%d.go", i+1))] = tmp
	}
	js, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, js, 0o600); err != nil {
		t.Fatal(err)
	}
	// -e: every error, not the first ten.
	args := []string{"build", "-overlay=" + ov, "-gcflags=-e"}
	if raceEnabled {
		// The same build flags as the test run: the dependencies (OpenAI,
		// Anthropic, gRPC, the routers) come from the build cache instead
		// of a second compile without -race.
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./blocks")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		for i := range blocks {
			if src, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("block%d.go", i+1))); err == nil {
				t.Logf("block %d as compiled:\n%s", i+1, src)
			}
		}
		t.Fatalf("README.md's Go blocks do not compile (%v):\n%s", err, out.String())
	}
	t.Logf("%d Go blocks of README.md compile", len(blocks))
}

// The configuration table of README.md lists every TRACIUM_* and OTEL_*
// variable that the code of any module reads (a string literal in a
// non-test Go file).
func TestReadmeConfigTableListsEveryVariable(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	start := strings.Index(text, "### Configuration")
	if start < 0 {
		t.Fatal(`README.md has no "### Configuration" section`)
	}
	section := text[start:]
	if end := strings.Index(section[4:], "\n### "); end >= 0 {
		section = section[:end+4]
	}
	var table strings.Builder
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "| `") {
			table.WriteString(strings.SplitN(l[1:], "|", 2)[0] + "\n")
		}
	}
	literal := regexp.MustCompile(`"((?:TRACIUM|OTEL)_[A-Z0-9_]+)"`)
	found := map[string]string{}
	root := filepath.Join("..", "..")
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			found[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 5 {
		t.Fatalf("found only %d variables in the code; the scan is broken", len(found))
	}
	for name, path := range found {
		if !strings.Contains(table.String(), "`"+name+"`") {
			t.Errorf("%s (read in %s) is missing from README.md's configuration table", name, path)
		}
	}
}
