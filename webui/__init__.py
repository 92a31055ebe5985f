"""The web app's pages, built by `ui.py`: answers laid out for a reader (answer.py), the
article and its outline (article.py, outline.py), and the page's font, style and scripts
(assets.py). Pure functions from `Answer`/`Article` to HTML or Markdown strings."""
