//go:build linux

package main

import (
	"testing"

	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
