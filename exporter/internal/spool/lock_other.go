//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package spool

import "os"

// lockFile does nothing where flock is not available: the caller must not
// open one directory twice.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
