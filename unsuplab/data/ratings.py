"""Users × movies "liked" matrices for collaborative filtering: the course's six-movie example and a
larger set, both drawn from a few hidden tastes, and a reader for CSV files (user,movie,rating)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unsuplab.data.types import DataError

#: The liked matrix is dense float32 (the RBM reads whole rows): MovieLens 1M (6,040 × 3,706) fits,
#: a file naming tens of thousands of both is refused before the matrix is made.
MAX_MATRIX_CELLS = 2**26
RATING_SCALE = (0.0, 5.0)  # ratings outside it are refused; 0/1-only files are liked flags

#: The slides' example: six movies and two hidden tastes (a movie may belong to both).
SIX_MOVIES = ("Harry Potter", "Avatar", "LOTR 3", "Gladiator", "Titanic", "Glitter")
SIX_MOVIE_TASTES = {
    "SF/fantasy": ("Harry Potter", "Avatar", "LOTR 3"),
    "Oscar winners": ("LOTR 3", "Gladiator", "Titanic"),
}
#: The slides' six users first (Alice, Bob, Carol like SF/fantasy; David, Eric, Fred Oscar winners).
SLIDE_USERS = {
    "Alice": (1, 1, 1, 0, 0, 0),
    "Bob": (1, 0, 1, 0, 0, 0),
    "Carol": (1, 1, 1, 0, 0, 0),
    "David": (0, 0, 1, 1, 1, 0),
    "Eric": (0, 0, 1, 1, 0, 0),
    "Fred": (0, 0, 1, 1, 1, 0),
}

#: A larger catalogue: 30 films in five tastes of six.
GENRE_MOVIES = {
    "science fiction": ("Star Wars", "Alien", "The Matrix", "Blade Runner", "Interstellar", "Dune"),
    "romance": ("Titanic", "The Notebook", "Pride & Prejudice", "La La Land", "Casablanca", "Notting Hill"),
    "animation": ("Toy Story", "Frozen", "Up", "Shrek", "Spirited Away", "Coco"),
    "horror": ("The Shining", "Get Out", "Psycho", "Halloween", "It", "Scream"),
    "crime": ("The Godfather", "Pulp Fiction", "Goodfellas", "Heat", "Se7en", "Fargo"),
}


@dataclass(frozen=True)
class RatingsDataset:
    """Which movies each user liked: `liked` is (users, movies) float32 of 0/1."""

    name: str
    users: tuple[str, ...]
    movies: tuple[str, ...]
    liked: np.ndarray
    tastes: dict[str, tuple[str, ...]]  # the hidden tastes that generated it (empty for files)
    source: str


def synthetic_ratings(
    name: str,
    movies: tuple[str, ...],
    tastes: dict[str, tuple[str, ...]],
    users: int,
    *,
    taste_rate: float = 0.4,
    like_in_taste: float = 0.95,
    like_otherwise: float = 0.03,
    seed: int = 0,
) -> RatingsDataset:
    """Users who have each hidden taste independently with probability `taste_rate` (so some
    have two, some none) and like each movie of their tastes with probability `like_in_taste`,
    any other movie with `like_otherwise`."""
    rng = np.random.default_rng(seed)
    member = np.array([[movie in films for movie in movies] for films in tastes.values()])
    has_taste = rng.random((users, len(tastes))) < taste_rate
    in_taste = (has_taste.astype(int) @ member.astype(int)) > 0
    p = np.where(in_taste, like_in_taste, like_otherwise)
    liked = (rng.random(p.shape) < p).astype(np.float32)
    names = tuple(f"user {i + 1}" for i in range(users))
    return RatingsDataset(name, names, tuple(movies), liked, dict(tastes), "synthetic")


def _six_movies() -> RatingsDataset:
    drawn = synthetic_ratings("six-movies", SIX_MOVIES, SIX_MOVIE_TASTES, users=300 - len(SLIDE_USERS))
    liked = np.concatenate([np.array(list(SLIDE_USERS.values()), dtype=np.float32), drawn.liked])
    users = (*SLIDE_USERS, *(f"user {i + len(SLIDE_USERS) + 1}" for i in range(len(drawn.users))))
    return RatingsDataset(
        "six-movies",
        users,
        SIX_MOVIES,
        liked,
        SIX_MOVIE_TASTES,
        "the course's six-movie example, 6 users from the slides + 294 drawn from its two tastes",
    )


def _thirty_movies() -> RatingsDataset:
    movies = tuple(m for films in GENRE_MOVIES.values() for m in films)
    return synthetic_ratings("movies-30", movies, GENRE_MOVIES, users=2000, taste_rate=0.3, seed=1)


_SETS = {"six-movies": _six_movies, "movies-30": _thirty_movies}
RATINGS_SETS = tuple(_SETS)


@functools.lru_cache(maxsize=4)
def load_ratings(name: str) -> RatingsDataset:
    """A built-in ratings set (see RATINGS_SETS); arrays are shared, so treat them as read-only."""
    if name not in _SETS:
        raise DataError(f"unknown ratings set {name!r}; known: {', '.join(RATINGS_SETS)}")
    return _SETS[name]()


# -- the user's own file -----------------------------------------------------------------------------
_USER_COLUMNS = ("user", "userid", "user_id")
_MOVIE_COLUMNS = ("movie", "movieid", "movie_id", "item", "title")
_RATING_COLUMNS = ("rating", "liked", "score")


def read_ratings_csv(path: str | Path, like_threshold: float = 4.0) -> RatingsDataset:
    """Ratings from a CSV file with a header naming the columns user, movie and rating (MovieLens'
    userId, movieId, rating too; other columns are ignored). Ratings lie on the scale 0–5; a
    rating ≥ `like_threshold` counts as liked, and a file of only 0s and 1s holds liked flags.
    Movies nobody rated don't exist; a movie a user did not rate counts as not liked.

    With a MovieLens-style movies.csv (movieId,title) beside the file, movie ids must be listed
    there and the titles name the movies. Every problem is a DataError naming the file and line."""
    path = Path(path)
    titles = _movie_titles(path.with_name("movies.csv")) if path.name != "movies.csv" else None
    rows = _csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise DataError(f"{path}: the file is empty; expected a header line user,movie,rating")
    columns = [
        _column(path, header[1], wanted) for wanted in (_USER_COLUMNS, _MOVIE_COLUMNS, _RATING_COLUMNS)
    ]
    ratings: dict[tuple[str, str], tuple[float, int]] = {}
    for line, fields in rows:
        if not any(f.strip() for f in fields):
            continue  # blank lines are harmless
        if len(fields) <= max(columns):
            raise DataError(
                f"{path}: line {line}: {len(fields)} fields; the header names "
                f"{len(header[1])} (user, movie and rating are columns "
                f"{', '.join(str(c + 1) for c in columns)})"
            )
        user, movie, text = (fields[c].strip() for c in columns)
        if not user or not movie:
            raise DataError(f"{path}: line {line}: empty {'user' if not user else 'movie'} id")
        if titles is not None:
            if movie not in titles:
                raise DataError(
                    f"{path}: line {line}: unknown movie id {movie!r} (not listed in "
                    f"{path.with_name('movies.csv')})"
                )
            movie = titles[movie]
        try:
            rating = float(text)
        except ValueError:
            raise DataError(f"{path}: line {line}: rating {text!r} is not a number") from None
        low, high = RATING_SCALE
        if not low <= rating <= high:
            raise DataError(f"{path}: line {line}: rating {text} is outside the scale {low:g}–{high:g}")
        if (user, movie) in ratings:
            raise DataError(
                f"{path}: line {line}: user {user!r} rated {movie!r} again (first on "
                f"line {ratings[user, movie][1]})"
            )
        ratings[user, movie] = (rating, line)
    if not ratings:
        raise DataError(f"{path}: no ratings below the header")
    users = tuple(dict.fromkeys(u for u, _ in ratings))
    movies = tuple(dict.fromkeys(m for _, m in ratings))
    if len(movies) < 2:
        raise DataError(f"{path}: only one movie is rated; collaborative filtering needs several")
    values = np.array([r for r, _ in ratings.values()])
    flags = bool(np.all((values == 0) | (values == 1)))
    cells = len(users) * len(movies)
    if cells > MAX_MATRIX_CELLS:
        raise DataError(
            f"{path}: {len(users):,} users × {len(movies):,} movies make a liked matrix of "
            f"{cells:,} cells ({cells * 4 / 2**30:.1f} GiB); the lesson holds it whole and takes at "
            f"most {MAX_MATRIX_CELLS:,} cells ({MAX_MATRIX_CELLS * 4 / 2**20:.0f} MiB): keep fewer "
            "users or movies"
        )
    user_index = {u: i for i, u in enumerate(users)}
    movie_index = {m: i for i, m in enumerate(movies)}
    liked = np.zeros((len(users), len(movies)), dtype=np.float32)
    for (user, movie), (rating, _) in ratings.items():
        liked[user_index[user], movie_index[movie]] = rating == 1 if flags else rating >= like_threshold
    return RatingsDataset(path.name, users, movies, liked, {}, str(path))


def _csv_rows(path: Path):
    """(line number, fields) of every row; a DataError when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; expected a CSV file of user,movie,rating") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.reader(text.splitlines())
    try:
        for fields in reader:
            yield reader.line_num, fields
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: {exc}") from None


def _column(path: Path, header: list[str], wanted: tuple[str, ...]) -> int:
    names = [h.strip().lower() for h in header]
    for name in wanted:
        if name in names:
            return names.index(name)
    raise DataError(
        f"{path}: line 1: missing column {wanted[0]!r}; the header must name the "
        f"columns user, movie and rating (found: {', '.join(header) or 'nothing'})"
    )


def _movie_titles(path: Path) -> dict[str, str] | None:
    """movieId -> title from a MovieLens movies.csv, or None when there is no such file."""
    if not path.is_file():
        return None
    rows = _csv_rows(path)
    header = next(rows, (1, []))[1]
    ids = _column(path, header, ("movieid", "movie_id", "movie", "id"))
    names = _column(path, header, ("title", "name"))
    return {f[ids].strip(): f[names].strip() for _, f in rows if len(f) > max(ids, names)}
