package api

// Version is the version of tracium-go. It goes into the default User-Agent
// ("tracium-go/" + Version). The root package tracium re-exports it, so this
// is the one place to bump it.
const Version = "0.1.0"
