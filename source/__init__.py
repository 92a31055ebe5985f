"""The article: loading a file and cleaning it into an `Article` (the lowest layer)."""

from source.article import Article, Block
from source.errors import AppError, ArticleError
from source.load import BUNDLED_ARTICLE, load_article, parse_article

__all__ = ["AppError", "Article", "ArticleError", "BUNDLED_ARTICLE", "Block", "load_article",
           "parse_article"]
