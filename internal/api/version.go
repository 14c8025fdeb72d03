package api

import "github.com/tracium-ai/tracium-go/internal/version"

// Version is the version of tracium-go ([version.Version]), which goes into
// the default User-Agent ("tracium-go/" + Version). New code reads
// internal/version; this alias stays until the root package and the
// exporter read it there too.
const Version = version.Version
