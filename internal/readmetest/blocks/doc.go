// Package blocks is where TestReadmeGoBlocksCompile compiles README.md's Go
// blocks (through a go build overlay: no file is written here).
package blocks
