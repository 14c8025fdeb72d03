//go:build race

package readmetest

// raceEnabled: the test runs with -race, so the README blocks are built
// with it too, from the race-built dependencies the other modules left in
// the build cache.
const raceEnabled = true
