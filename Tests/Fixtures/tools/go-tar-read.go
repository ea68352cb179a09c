// go-tar-read reads tar streams as Docker, podman and skopeo read them: with Go's archive/tar
// (and compress/gzip, which Docker's DecompressStream uses for gzip), every entry's data read
// whole, stopping at the io.EOF that archive/tar's Reader.Next returns at the end.
//
//	go run go-tar-read.go -layer < layer.tar   prints the layer's entry count
//	go run go-tar-read.go ARCHIVE              reads the archive (plain or gzip), then every
//	                                           member that is a tar or a gzip'd tar (a layer) the
//	                                           same way; prints "<member> <entries>" per layer
//
// Exits 1 on the first error, naming it. Used by make-fixtures.sh (section 29) and the tests of
// layers written by umoci 0.4.7's insert, which end inside their last padding (umoci#436).
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// decompressed is the stream as DecompressStream gives it: gzip inflated, anything else as is.
func decompressed(r io.Reader) (io.Reader, error) {
	b := bufio.NewReader(r)
	magic, err := b.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(b)
	}
	return b, nil
}

// entries reads every entry of the tar stream r, data included.
func entries(r io.Reader) (int, error) {
	t := tar.NewReader(r)
	n := 0
	for {
		h, err := t.Next()
		if err == io.EOF {
			return n, nil
		}
		if err == nil {
			_, err = io.Copy(io.Discard, t)
		}
		if err != nil {
			return n, fmt.Errorf("entry %d (%v): %w", n+1, h, err)
		}
		n++
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-tar-read:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-layer" {
		n, err := entries(os.Stdin)
		if err != nil {
			fail(err)
		}
		fmt.Println(n)
		return
	}
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: go-tar-read ARCHIVE | -layer"))
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	in, err := decompressed(f)
	if err != nil {
		fail(err)
	}
	outer := tar.NewReader(in)
	for {
		h, err := outer.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			fail(fmt.Errorf("the archive: %w", err))
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(outer)
		if err != nil {
			fail(fmt.Errorf("%s: %w", h.Name, err))
		}
		layer, err := decompressed(bytes.NewReader(data))
		if err != nil {
			fail(fmt.Errorf("%s: %w", h.Name, err))
		}
		head := make([]byte, 512)
		k, _ := io.ReadFull(layer, head)
		if k < 512 || !bytes.Equal(head[257:262], []byte("ustar")) {
			continue // not a tar: a config, a manifest, a JSON file
		}
		n, err := entries(io.MultiReader(bytes.NewReader(head), layer))
		if err != nil {
			fail(fmt.Errorf("%s: %w", h.Name, err))
		}
		fmt.Printf("%s %d\n", h.Name, n)
	}
}
