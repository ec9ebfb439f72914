"""What the paper reports and states, in one place: the numbers our results are read against.

Rippel, Snoek & Adams, *Spectral Representations for Convolutional Neural
Networks*, NIPS 2015 (arXiv:1506.03767). Section 5 of the paper gives the
classification results (Figure 4(b)) and the hyperparameter search; the
baselines' errors are each cited paper's published result without augmentation.
"""

from __future__ import annotations

# Figure 4(b): CIFAR test error in % without data augmentation, (method, CIFAR-10, CIFAR-100).
TABLE_4B = (
    ("Stochastic pooling", 15.13, 42.51),
    ("Maxout", 11.68, 38.57),
    ("Network-in-network", 10.41, 35.68),
    ("Deeply supervised nets", 9.78, 34.57),
    ("Spectral pooling", 8.6, 31.6),
)
SPECTRAL_POOLING_ERROR = {"cifar10": TABLE_4B[-1][1], "cifar100": TABLE_4B[-1][2]}  # %

# Section 5: the space of the Bayesian optimisation (Spearmint) and the optimum it reports. M and the
# weight decay of the optimum are not stated; nor are the number of trials, their length, the batch
# size, the preprocessing or the validation split.
SEARCH_SPACE = {
    "gamma": (0.25, 0.85),
    "num_layers": (1, 15),
    "alpha": (0.0, 0.8),
    "beta": (0.0, 0.8),
    "weight_decay": (1e-5, 1e-2),
    "momentum": (1 - 0.1**0.5, 1 - 0.1**2),
    "learning_rate": (1e-4, 0.1),
}
OPTIMUM = {"gamma": 0.85, "alpha": 0.30, "beta": 0.15, "momentum": 0.95, "learning_rate": 0.0088}

# Section 5: the training of Figure 4(b): SGD with momentum for 150 epochs, the learning rate divided
# by 10 after epochs 100 and 140; weight decay; no dropout, no max pooling, no augmentation.
EPOCHS = 150
LEARNING_RATE_DROPS = (100, 140)

# Section 2 (Figure 1(c)): the entries of a real map's spectrum equal to their own conjugate partner.
REAL_ONLY_RULE = "(0, 0) always, plus (M/2, 0), (0, N/2) and (M/2, N/2) where those sizes are even"


def real_only_entries(size: str) -> list[tuple[int, int]]:
    """The real-only entries of an ``"MxN"`` spectrum by :data:`REAL_ONLY_RULE`.

    >>> real_only_entries("8x7")
    [(0, 0), (4, 0)]
    """
    m, n = map(int, size.split("x"))
    rows, cols = [0] + [m // 2] * (m % 2 == 0), [0] + [n // 2] * (n % 2 == 0)
    return sorted((u, v) for u in rows for v in cols)


# Figure 5(b): speed-up in epochs of the spectral over the spatial parameterization, Adam, and the
# range section 5 claims for it ("2-5x sooner"), for 3x3 as well as 5x5 filters.
SPEEDUP = {
    ("deep", 3): 2.2,
    ("deep", 5): 4.8,
    ("generic", 3): 2.2,
    ("generic", 5): 5.1,
    ("spectral_pooling", 3): 2.4,
    ("spectral_pooling", 5): 4.8,
}
SPEEDUP_CLAIMED = (2.0, 5.0)

# The paper's claims as one line each, for the verdicts that check them.
CLAIMS = {
    "fig2": "spectral pooling keeps more of an image's structure than max pooling (Figure 2, qualitative)",
    "fig4a": "spectral pooling loses less information than max pooling at every fraction kept",
    "fig5": "the spectral parameterization reaches the spatial one's best test error 2-5x sooner, in epochs",
    "fig3_sparser": "learned spectral filters are sparser than spatial ones (90 % of the energy on fewer entries)",
    "fig3_moments": "fewer of the spectral parameters have large Adam moments",
}
