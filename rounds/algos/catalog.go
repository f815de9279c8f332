package algos

import "github.com/rondo-dev/rondo/rounds"

// Infos describes every algorithm of the library (not the broken
// variants), for listings such as rondo list: name, summary, paper, model,
// threshold and phase length. Algorithms built for a fault count are
// described with f = 1 (kset with k = 2, epsilon with 3 rounds).
func Infos() []rounds.Info {
	return []rounds.Info{
		OTR().Info(),
		UniformVoting().Info(),
		LastVoting().Info(),
		ShortLastVoting().Info(),
		BenOr().Info(),
		FloodMin(1).Info(),
		KSet(2, 1).Info(),
		LatticeAgreement(1).Info(),
		Epsilon(3).Info(),
		TwoPC().Info(),
		ERB(1).Info(),
		Leader().Info(),
		PBFT().Info(),
	}
}
