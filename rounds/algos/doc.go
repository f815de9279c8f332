// Package algos is Rondo's library of round-based algorithms, one file each,
// every one citing its paper, stating its fault threshold and carrying its
// Spec beside its code. Each constructor returns a fresh *rounds.Algorithm;
// the broken variants (used by tests to show the checker catches them) are
// exported too, named Broken….
package algos
