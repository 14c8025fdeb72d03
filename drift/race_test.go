//go:build race

package drift_test

const raceEnabled = true
