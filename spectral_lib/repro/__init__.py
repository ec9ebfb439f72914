"""The reproduction machinery, apart from the science in ``spectral_lib``.

``profiles`` (the settings of every notebook under each profile), ``runs``
(training runs addressed by their settings, reused and resumed), ``fig5``
(Figure 5's runs and speed-up), ``fig3`` (Figure 3's measure),
``pipeline`` (papermill over the numbered notebooks), ``results`` and
``figures`` (atomic outputs), ``report`` (README's results section) and
``images`` (the sample photographs of the figures).
"""
