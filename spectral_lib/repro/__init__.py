"""The reproduction machinery, apart from the science in ``spectral_lib``.

``experiment`` (the contract of an experiment and the registry of every experiment and benchmark), one
module per figure or table (``fig1``, ``fig2``, ``fig4a``, ``fig5``, ``fig3``, ``search``, ``table4b``:
each holds its config under every profile, its plan, summary and verdicts), ``benchmarks`` (README's
benchmark sections), ``profiles`` (the profile names and where each writes), ``runs`` (training runs
addressed by their settings, reused and resumed; their settings in ``run_settings``, records in
``store``), ``verdicts`` (the vocabulary and the noise every claim is judged against), ``pipeline``
(papermill over the numbered notebooks), ``results`` and ``figures`` (atomic outputs), ``report``
(README's results section, a loop over the registry) and ``images`` (the sample photographs).
"""
