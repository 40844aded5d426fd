//go:build distfiles

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/claude-keytray/claude-keytray/packaging"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Only scripts/dist.sh needs this command, so it is built in only with -tags distfiles: cobra/doc
// costs every start of the program a few milliseconds, the helper's `key` included.
func init() { extraCommands = append(extraCommands, newDistFilesCmd) }

// newDistFilesCmd writes what the packages carry besides the program: man pages and shell
// completions made from this very command tree, and packaging's desktop entry, icons, units,
// macOS bundle files and Windows resources, plus nfpm's config. scripts/dist.sh runs it; it is
// hidden because users never need it.
func newDistFilesCmd() *cobra.Command {
	var out, ver, arch, binary, maintainer string
	cmd := &cobra.Command{
		Use:    "gen-dist-files",
		Short:  "Write man pages, completions and packaging files for scripts/dist.sh",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required: the folder to write into")
			}
			if ver == "" {
				ver = version
			}
			if err := packaging.WriteDistTree(out, packaging.DistOptions{Version: ver}); err != nil {
				return err
			}
			root := cmd.Root()
			linux := filepath.Join(out, "linux")
			if err := writeManPages(root, filepath.Join(linux, packaging.ManDir), ver); err != nil {
				return err
			}
			if err := writeCompletions(root, linux); err != nil {
				return err
			}
			if binary != "" {
				abs, err := filepath.Abs(binary)
				if err != nil {
					return err
				}
				cfg, err := packaging.NFPMConfig(out, packaging.NFPMOptions{Version: ver, Arch: arch, Binary: abs, Maintainer: maintainer})
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(out, "nfpm-"+arch+".yaml"), cfg, 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote the packaging files under %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder to write into")
	cmd.Flags().StringVar(&ver, "version", "", "version to stamp (default: this build's)")
	cmd.Flags().StringVar(&arch, "arch", "amd64", "GOARCH of the Linux packages' program")
	cmd.Flags().StringVar(&binary, "binary", "", "the Linux program to package; with it, nfpm-<arch>.yaml is written too")
	cmd.Flags().StringVar(&maintainer, "maintainer", "", "the packages' Maintainer field")
	return cmd
}

// writeManPages writes one gzipped page per command (hidden ones and cobra's own helpers
// left out).
func writeManPages(root *cobra.Command, dir, ver string) error {
	tmp, err := os.MkdirTemp("", "claude-keytray-man")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	date := time.Now().UTC()
	// Reproducible builds pin the date.
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			date = time.Unix(n, 0).UTC()
		}
	}
	root.DisableAutoGenTag = true
	hdr := &doc.GenManHeader{Title: "CLAUDE-KEYTRAY", Section: "1", Source: "claude-keytray " + ver, Manual: "claude-keytray manual", Date: &date}
	if err := doc.GenManTree(root, hdr, tmp); err != nil {
		return fmt.Errorf("generating the man pages: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pages, err := filepath.Glob(filepath.Join(tmp, "*.1"))
	if err != nil {
		return err
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)+".gz"), z.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeCompletions(root *cobra.Command, linux string) error {
	write := func(dir, name string, gen func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("generating %s: %w", name, err)
		}
		p := filepath.Join(linux, dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b.Bytes(), 0o644)
	}
	if err := write(packaging.BashCompletionDir, "claude-keytray", func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }); err != nil {
		return err
	}
	if err := write(packaging.ZshCompletionDir, "_claude-keytray", func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }); err != nil {
		return err
	}
	return write(packaging.FishCompletionDir, "claude-keytray.fish", func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) })
}
