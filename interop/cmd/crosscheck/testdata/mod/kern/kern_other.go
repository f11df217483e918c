//go:build !amd64 && !arm64

package kern

func sum(a, b int) int { return a + b }
