"""Ratings sets: the slides' six-movie example, the larger set, and CSV files refused by line number."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.data import DataError
from unsuplab.data.ratings import SIX_MOVIES, load_ratings, read_ratings_csv


def test_six_movies_starts_with_the_slides_users():
    data = load_ratings("six-movies")
    assert data.movies == SIX_MOVIES
    assert data.users[:2] == ("Alice", "Bob")
    np.testing.assert_array_equal(data.liked[0], [1, 1, 1, 0, 0, 0])
    assert data.liked.shape == (300, 6) and set(np.unique(data.liked)) <= {0.0, 1.0}
    # The tastes show in the data: Titanic goes with Gladiator far more than with Avatar.
    titanic, gladiator, avatar = (
        data.liked[:, SIX_MOVIES.index(m)] for m in ("Titanic", "Gladiator", "Avatar")
    )
    assert (titanic * gladiator).mean() > 2 * (titanic * avatar).mean()


def test_the_larger_set_has_thirty_movies_in_five_tastes():
    data = load_ratings("movies-30")
    assert data.liked.shape == (2000, 30) and len(data.tastes) == 5


def write(tmp_path, text: str, name: str = "ratings.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_ratings_file_becomes_a_liked_matrix(tmp_path):
    path = write(tmp_path, "user,movie,rating\nann,Up,5\nann,Heat,2\nbob,Up,3\nbob,Heat,4.5\n")
    data = read_ratings_csv(path, like_threshold=4)
    assert data.users == ("ann", "bob") and data.movies == ("Up", "Heat")
    np.testing.assert_array_equal(data.liked, [[1, 0], [0, 1]])


def test_zero_one_files_are_liked_flags_and_movielens_ids_take_titles(tmp_path):
    write(tmp_path, "movieId,title,genres\n1,Toy Story,Animation\n2,Heat,Crime\n", "movies.csv")
    path = write(tmp_path, "userId,movieId,rating,timestamp\n7,1,1,0\n7,2,0,0\n8,2,1,0\n")
    data = read_ratings_csv(path)
    assert data.movies == ("Toy Story", "Heat")
    np.testing.assert_array_equal(data.liked, [[1, 0], [0, 1]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("user,film,rating\na,Up,5\n", r"line 1: missing column 'movie'"),
        ("user,movie,rating\na,Up,5\nb,Heat,7\n", r"line 3: rating 7 is outside the scale 0–5"),
        ("user,movie,rating\na,Up,five\n", r"line 2: rating 'five' is not a number"),
        ("user,movie,rating\na,Up\n", r"line 2: 2 fields"),
        ("user,movie,rating\na,Up,4\n,Heat,3\n", r"line 3: empty user id"),
        ("user,movie,rating\na,Up,4\na,Heat,3\na,Up,1\n", r"line 4: .* again \(first on line 2\)"),
        ("", r"the file is empty"),
        ("user,movie,rating\n", r"no ratings"),
    ],
)
def test_bad_ratings_files_are_refused_by_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as caught:
        read_ratings_csv(path)
    assert str(path) in str(caught.value)


def test_an_unknown_movie_id_is_refused_with_its_line(tmp_path):
    write(tmp_path, "movieId,title\n1,Up\n", "movies.csv")
    path = write(tmp_path, "userId,movieId,rating\n1,1,4\n1,99,3\n")
    with pytest.raises(DataError, match=r"line 3: unknown movie id '99'"):
        read_ratings_csv(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_ratings_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("seed", range(4))
def test_whatever_the_bytes_a_bad_file_raises_only_a_data_error_naming_it(tmp_path, seed):
    """A DataError is what the CLI turns into exit status 2; any other exception would be a bug."""
    rng = np.random.default_rng(seed)
    alphabet = list(b'ab,"\r\n\x00 1.5e9-')
    bodies = [
        rng.bytes(200),
        bytes(rng.choice(alphabet, 300)),
        b'"unterminated,a,1\n',
        b"u,m,1e400\n",
        b"x" * 200_000 + b"\n",
    ]
    for body in bodies:
        path = write(tmp_path, "")
        path.write_bytes(b"user,movie,rating\n" + body)
        try:
            read_ratings_csv(path)
        except DataError as exc:
            assert str(path) in str(exc)


def test_a_small_file_naming_too_many_users_and_movies_is_refused_before_the_matrix(tmp_path):
    """The hostile try's 458 KB file: 30,000 users each rating one of 30,000 movies (a dense
    matrix of 3.4 GiB); refused with the sizes, without making the matrix."""
    import tracemalloc

    path = tmp_path / "wide.csv"
    path.write_text("user,movie,rating\n" + "".join(f"u{i},m{i},5\n" for i in range(30_000)))
    tracemalloc.start()
    with pytest.raises(DataError, match=r"wide\.csv: 30,000 users × 30,000 movies .* \(3\.4 GiB\)"):
        read_ratings_csv(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 2**20
