// Package kern has an assembly kernel on amd64 and a generic one
// elsewhere, but the generic one was forgotten on arm64.
package kern

// Sum adds.
func Sum(a, b int) int { return sum(a, b) }
