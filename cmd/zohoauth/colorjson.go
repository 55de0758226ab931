package main

import "bytes"

// ANSI colours of JSON on a terminal, as jq and gh colour it.
const (
	colorKey    = "\x1b[1;34m" // object keys: bold blue
	colorString = "\x1b[32m"   // strings: green
	colorNumber = "\x1b[36m"   // numbers: cyan
	colorBool   = "\x1b[33m"   // true, false: yellow
	colorNull   = "\x1b[90m"   // null: grey
	colorReset  = "\x1b[0m"
)

// colorJSON writes src, valid JSON, with ANSI colours around its keys,
// strings, numbers, booleans and nulls. JSON strings hold no raw control
// character (they are escaped), so no byte of src can drive the terminal.
func colorJSON(dst *bytes.Buffer, src []byte) {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"':
			end := stringEnd(src, i)
			color := colorString
			if isKey(src, end) {
				color = colorKey
			}
			dst.WriteString(color)
			dst.Write(src[i:end])
			dst.WriteString(colorReset)
			i = end
		case c == '-' || c >= '0' && c <= '9':
			end := i + 1
			for end < len(src) && bytes.IndexByte([]byte("0123456789+-.eE"), src[end]) >= 0 {
				end++
			}
			writeColored(dst, colorNumber, src[i:end])
			i = end
		case bytes.HasPrefix(src[i:], []byte("true")):
			writeColored(dst, colorBool, src[i:i+4])
			i += 4
		case bytes.HasPrefix(src[i:], []byte("false")):
			writeColored(dst, colorBool, src[i:i+5])
			i += 5
		case bytes.HasPrefix(src[i:], []byte("null")):
			writeColored(dst, colorNull, src[i:i+4])
			i += 4
		default:
			dst.WriteByte(c)
			i++
		}
	}
}

func writeColored(dst *bytes.Buffer, color string, b []byte) {
	dst.WriteString(color)
	dst.Write(b)
	dst.WriteString(colorReset)
}

// stringEnd returns the index just after the string that starts at
// src[start] (a '"').
func stringEnd(src []byte, start int) int {
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(src)
}

// isKey reports whether the string that ends before src[end] is an object
// key: the next byte that is not white space is ':'.
func isKey(src []byte, end int) bool {
	for ; end < len(src); end++ {
		switch src[end] {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return src[end] == ':'
	}
	return false
}
