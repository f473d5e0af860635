"""The signal files (pipeline/crawl/signals/): one positive and one negative example per kind, facet and
language. Adding a language is adding its section to a file and its row here; the completeness test
fails until both exist.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from pipeline.crawl import signals

ROOT = Path(__file__).resolve().parents[2]

# (kind, facet, language, text the language's entries match, text they do not match). Texts are
# lower-cased as classify sees them.
EXAMPLES = [
    ("not-found", "notice", "en", "sorry, the page you requested could not be found", "the page on finding"),
    ("not-found", "notice", "de", "seite wurde nicht gefunden", "die seite über gefundene werte"),
    ("not-found", "notice", "fr", "page introuvable – université", "une page sur les introuvables"),
    ("not-found", "notice", "es", "página no encontrada", "página principal"),
    ("not-found", "notice", "pt", "página não encontrada", "página inicial"),
    ("not-found", "notice", "it", "pagina non trovata", "pagina iniziale"),
    ("not-found", "notice", "nl", "pagina niet gevonden", "pagina over lineaire algebra"),
    ("not-found", "notice", "pl", "strona nie została znaleziona", "strona główna"),
    ("not-found", "notice", "sv", "sidan kunde inte hittas", "sidan om linjär algebra"),
    ("not-found", "notice", "tr", "sayfa bulunamadı", "ana sayfa"),
    ("not-found", "notice", "ru", "страница не найдена", "главная страница"),
    ("not-found", "notice", "ja", "ページが見つかりません | 線形代数", "線形代数のページ"),
    ("not-found", "notice", "zh", "页面不存在", "线性代数页面"),
    ("not-found", "notice", "ko", "페이지를 찾을 수 없습니다", "선형대수 페이지"),
    ("not-found", "loose", "en", "404 not found", "linear algebra in 404 words"),
    ("not-found", "loose", "de", "fehler 404", "fehlerrechnung"),
    ("not-found", "loose", "fr", "erreur 404", "erreurs d'arrondi"),
    ("not-found", "loose", "it", "errore 404", "errore di arrotondamento"),
    ("not-found", "loose", "ru", "ошибка 404", "ошибка округления"),
    ("not-found", "loose", "ja", "エラー 404", "エラー解析"),
    ("parked", "phrase", "en", "this domain is for sale!", "this domain of mathematics"),
    ("parked", "phrase", "de", "diese domain steht zum verkauf", "diese domain gehört uns"),
    ("parked", "phrase", "fr", "ce domaine est à vendre", "ce domaine des mathématiques"),
    ("parked", "phrase", "es", "este dominio está a la venta", "este dominio de la función"),
    ("parked", "phrase", "pt", "este domínio está à venda", "este domínio da função"),
    ("parked", "phrase", "nl", "dit domein is te koop", "dit domein van de functie"),
    ("parked", "phrase", "it", "questo dominio è in vendita", "questo dominio della funzione"),
    ("parked", "phrase", "ja", "このドメインは販売中です", "このドメインについて"),
    ("parked", "phrase", "zh", "该域名正在出售", "定义域名称"),
    ("paywall", "phrase", "en", "subscribe to continue reading", "subscribe to our newsletter"),
    ("paywall", "buy", "en", "add to cart", "a cart pole balancing task"),
    ("paywall", "donation", "en", "buy me a coffee", "buy the book"),
    ("paywall", "print-copy", "en", "the printed edition", "print the matrix"),
    ("paywall", "free", "en", "read it online", "read the reviews"),
    ("sign-in", "word", "en", "log in to your account", "logarithms in base two"),
    ("sign-in", "word", "de", "anmelden", "anmeldung folgt"),
    ("sign-in", "word", "fr", "connexion", "connexions neuronales"),
    ("bot-challenge", "title", "en", "just a moment...", "a moment of inertia"),
    (
        "removed-content",
        "notice",
        "en",
        "this video has been removed by the uploader",
        "this repository has been archived by the owner",
    ),
    (
        "removed-content",
        "notice",
        "de",
        "dieser kurs ist nicht mehr verfügbar",
        "die druckausgabe ist vergriffen",
    ),
    (
        "removed-content",
        "notice",
        "fr",
        "cette vidéo n'est plus disponible",
        "la vidéo du cours est disponible",
    ),
    ("removed-content", "notice", "es", "este curso ya no está disponible", "el curso está disponible"),
    ("removed-content", "notice", "pt", "este vídeo não está mais disponível", "o vídeo está disponível"),
    ("removed-content", "notice", "it", "questo corso non è più disponibile", "il corso è disponibile"),
    ("removed-content", "notice", "nl", "deze cursus is niet meer beschikbaar", "de cursus is beschikbaar"),
    ("removed-content", "notice", "pl", "ten film został usunięty", "ten film jest dostępny"),
    ("removed-content", "notice", "sv", "kursen är inte längre tillgänglig", "kursen är tillgänglig"),
    ("removed-content", "notice", "tr", "bu video artık mevcut değil", "bu video mevcut"),
    ("removed-content", "notice", "ru", "это видео было удалено", "это видео о линейной алгебре"),
    ("removed-content", "notice", "ja", "この動画は削除されました", "この動画は線形代数です"),
    ("removed-content", "notice", "zh", "该视频已被删除", "线性代数视频"),
    ("removed-content", "notice", "ko", "이 동영상은 삭제되었습니다", "선형대수 동영상"),
    ("consent-wall", "phrase", "en", "before you continue to youtube", "before you continue reading, note"),
    ("consent-wall", "phrase", "de", "alle cookies akzeptieren", "cookies backen"),
    ("consent-wall", "phrase", "fr", "accepter tous les cookies", "des cookies maison"),
    ("consent-wall", "phrase", "es", "aceptar todas las cookies", "galletas y cookies"),
    ("consent-wall", "phrase", "it", "accetta tutti i cookie", "i cookie della nonna"),
    ("consent-wall", "phrase", "nl", "alle cookies accepteren", "koekjes bakken"),
    ("consent-wall", "phrase", "pt", "aceitar todos os cookies", "biscoitos caseiros"),
    (
        "bot-challenge",
        "text",
        "en",
        "checking your browser before accessing notes.example",
        "checking your answer",
    ),
]


@pytest.mark.parametrize(
    ("kind", "facet", "language", "positive", "negative"),
    [pytest.param(*row, id=f"{row[0]}:{row[1]}:{row[2]}") for row in EXAMPLES],
)
def test_signal_examples(kind: str, facet: str, language: str, positive: str, negative: str) -> None:
    pattern = signals.pattern(kind, facet, language)
    assert pattern.search(positive), positive
    assert not pattern.search(negative), negative


def test_every_language_of_every_signal_file_has_an_example() -> None:
    in_files = {
        (kind, facet, language)
        for kind in signals.KINDS
        for (facet, language) in signals.table(kind)
        if language != signals.ANY
    }
    assert in_files == {row[:3] for row in EXAMPLES}


def test_every_kind_has_a_file_that_ships_in_the_wheel() -> None:
    folder = ROOT / "pipeline" / "crawl" / "signals"
    files = {p.name for p in folder.glob("*.txt")}
    assert files == {f"{kind}.txt" for kind in signals.KINDS}
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for name in files:
        assert any(fnmatch.fnmatch(f"crawl/signals/{name}", g) for g in globs["pipeline"]), name


def test_entries_compile_one_by_one() -> None:
    for kind in signals.KINDS:
        for facet, _ in signals.table(kind):
            assert signals.pattern(kind, facet).pattern  # a bad entry raises SignalFileError naming it


def test_a_bad_entry_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals, "entries", lambda kind, facet, language=None: ("fine", "(unclosed"))
    signals.pattern.cache_clear()
    try:
        with pytest.raises(signals.SignalFileError, match=r"not-found.txt \[notice\]: '\(unclosed'"):
            signals.pattern("not-found", "notice")
    finally:
        monkeypatch.undo()
        signals.pattern.cache_clear()
