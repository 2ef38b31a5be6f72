"""The HTTP API: ``docgen serve``, a sibling of the command line over :mod:`docgen.pipeline`.

    from docgen.serve.app import create_app
    from docgen.serve.data import DataFolder
    app = create_app(DataFolder("docgen-data"))

Views (:mod:`docgen.serve.views`) are thin: each reads its request, makes one library call and
answers. Tokens, case ownership and limits are :mod:`docgen.serve.access`; errors are RFC 9457
problem documents (:mod:`docgen.serve.problems`); batch jobs are :mod:`docgen.serve.jobs`;
:mod:`docgen.serve.server` runs it all under gunicorn. Nothing here imports the CLI.
"""
