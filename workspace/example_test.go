package workspace_test

import (
	"context"
	"fmt"

	"github.com/tracium-ai/tracium-go/workspace"
)

func ExampleWith() {
	ws, err := workspace.New("ws_support")
	if err != nil {
		panic(err)
	}
	ctx := workspace.With(context.Background(), ws)
	got, _ := workspace.From(ctx)
	fmt.Println(got)
	// Output: ws_support
}

func ExampleFromEnv() {
	getenv := func(string) string { return "ws_from_env" } // os.Getenv in a program
	ws, err := workspace.FromEnv(getenv)
	fmt.Println(ws, err)
	// Output: ws_from_env <nil>
}
