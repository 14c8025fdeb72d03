package enduser_test

import (
	"context"
	"fmt"

	"github.com/tracium-ai/tracium-go/enduser"
)

func ExampleContextWithUser() {
	u, err := enduser.NewUser(" u-42 ") // trimmed
	if err != nil {
		panic(err)
	}
	s, err := enduser.NewSession("chat-7")
	if err != nil {
		panic(err)
	}
	ctx := enduser.ContextWithSession(enduser.ContextWithUser(context.Background(), u), s)

	gotU, _ := enduser.UserFromContext(ctx)
	gotS, _ := enduser.SessionFromContext(ctx)
	fmt.Printf("user=%q session=%q\n", gotU, gotS)

	_, err = enduser.NewUser("u\n42")
	fmt.Println(err)
	// Output:
	// user="u-42" session="chat-7"
	// enduser: invalid user id "u\n42": control character U+000A
}
