"""trajdyn's command lines, thin over the libraries: ``trajdyn-analyze`` (:mod:`.analyze`), ``trajdyn-import``
(:mod:`.importer`). See docs/cli.md and docs/importers.md."""
