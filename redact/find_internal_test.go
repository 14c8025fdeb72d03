package redact

import (
	"regexp"
	"testing"
)

// regexpMask masks what p matches (its "secret" group when it has one), as
// a Redactor does for a pattern of its own.
func regexpMask(p *regexp.Regexp, s string) string {
	r := &Redactor{mask: DefaultMask}
	m := matcher{re: p, group: max(p.SubexpIndex("secret"), 0)}
	t, _ := r.apply(&m, s)
	return t
}

// FuzzFindersMatchRegexps checks that each hand-written finder masks what
// the exported regexp it stands for describes.
func FuzzFindersMatchRegexps(f *testing.F) {
	for _, s := range []string{
		"use sk-abcdefghijklmnopqrstuvwx now", "x_sk-abcdefghijklmnopqrstuvwx", "sk_live_abcdefghijklmnop1234",
		"xoxb-1234567890-abc", "AKIAQZ7RK2LM9XV4NB6WXYZ", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_pat_11AAAAAAAAAAAAAAAAAAAAAA_bbb",
		"AIzaSyD-abcdefghijklmnopqrstuvwxyz0123", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x", "eyJa.eyJb.c",
		"https://user:pa:ss@host/x", "git+ssh://u:@h", "a://b:c@d@e", "password=hunter2 ok", `"api_key": "x y"`, "token:\n  abc", `secret\":\"x\"`,
		"mail a.b+c@ex-ample.co.uk.", "x@y.z", "@@a.bc", "a@b.c.de", "a@.bc", "q@w.e1rt.yu", "1://u:p@h", "-://u:p@h", "a1+b://u:p@h", "x_y://u:p@h", "0@0.AA@0.AA0", "a@b.cd@e.fg",
	} {
		f.Add(s)
	}
	pairs := []struct {
		p    *regexp.Regexp
		find finder
	}{{APIKey, findKey}, {JWT, findJWT}, {URLCredentials, findURLCredentials}, {Assignment, findAssignment}, {Email, findEmail}}
	r := &Redactor{mask: DefaultMask}
	f.Fuzz(func(t *testing.T, s string) {
		for _, pf := range pairs {
			got, _ := r.maskFound(s, pf.find)
			if want := regexpMask(pf.p, s); got != want {
				t.Errorf("%s on %q:\nfinder: %q\nregexp: %q", pf.p, s, got, want)
			}
		}
	})
}
