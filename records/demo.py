"""The demo world's EDM documents (part of `manage.py seed_demo`), loaded through the real
`edm-document` feed.

| person | documents                                                                        |
| ------ | -------------------------------------------------------------------------------- |
| Anna   | one of every type: lab result, diagnostic report, referral information,          |
|        | discharge summary, refusal of admission                                          |
| Zosia  | lab result (Polish characters in the body), diagnostic report, referral          |
|        | information, discharge summary: Anna and Halina read them from her account       |
| Ola    | lab result, refusal of admission                                                 |
| Kuba   | diagnostic report: he reads it himself (16, read-only)                           |

Ids are "demo-doc-<person>-<n>"; dates count back from the day of the first seeding
(guardianship.demo.first_seeding_day), so a re-run sends identical lines and the feed stores
nothing new.
"""

import json
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from accounts.models import Person
from feeds.runner import ingest_file
from guardianship.demo import first_seeding_day
from records.models import Document

FEED = "edm-document"
WARSAW = ZoneInfo("Europe/Warsaw")

MORPHOLOGY = (
    "Morfologia krwi obwodowej z rozmazem.\n"
    "Leukocyty (WBC): 6,8 tys./µl (norma 4,0–10,0)\n"
    "Erytrocyty (RBC): 4,52 mln/µl (norma 4,00–5,20)\n"
    "Hemoglobina (HGB): 13,1 g/dl (norma 12,0–16,0)\n"
    "Płytki krwi (PLT): 265 tys./µl (norma 150–400)\n"
    "Opis: wyniki w granicach normy. Zalecenia: kontrola u lekarza prowadzącego za 12 miesięcy.\n"
    "Badanie wykonała: mgr Żaneta Dąbrowska-Łęcka, diagnosta laboratoryjny."
)

# (person key, n, type, title, days before the first seeding, hour, facility, author, body)
DOCUMENTS = [
    ("anna", 1, "lab_result", "Lipidogram", 20, "08:40", "Laboratorium Diagnostyczne Mokotów",
     "mgr Ewa Lis", ("Cholesterol całkowity 182 mg/dl, LDL 104 mg/dl, HDL 61 mg/dl, triglicerydy 88 mg/dl.\n"
     "Opis: wyniki prawidłowe.")),
    ("anna", 2, "diagnostic_report", "USG jamy brzusznej", 45, "11:15", "Przychodnia Rodzinna Mokotów",
     "lek. Marek Górski", ("Wątroba niepowiększona, o prawidłowej echogeniczności. Pęcherzyk żółciowy bez złogów.\n"
     "Wniosek: obraz USG jamy brzusznej w normie.")),
    ("anna", 3, "referral_information", "Informacja dla lekarza kierującego: poradnia kardiologiczna", 70, "13:05",
     "Poradnia Kardiologiczna Szpitala Bielańskiego", "dr n. med. Agnieszka Wróbel",
     ("Rozpoznanie: kołatanie serca (R00.2). W badaniu Holter EKG bez istotnych zaburzeń rytmu.\n"
     "Zalecenia: ograniczenie kofeiny, kontrola w POZ. Dalsza opieka poradni nie jest wymagana.")),
    ("anna", 4, "discharge_summary", "Karta informacyjna leczenia szpitalnego", 120, "10:30",
     "Szpital Bielański, Oddział Chirurgii Ogólnej", "dr Tomasz Żak",
     ("Rozpoznanie: ostre zapalenie wyrostka robaczkowego (K35.8). Wykonano appendektomię laparoskopową.\n"
     "Przebieg pooperacyjny bez powikłań. Zalecenia: oszczędzający tryb życia przez 14 dni, "
     "zdjęcie szwów w POZ po 7–10 dniach.")),
    ("anna", 5, "admission_refusal", "Informacja o odmowie przyjęcia do szpitala", 200, "22:50",
     "Szpital Grochowski, Szpitalny Oddział Ratunkowy", "lek. Paweł Kęcki",
     ("Rozpoznanie: skręcenie stawu skokowego lewego (S93.4). RTG bez cech złamania.\n"
     "Przyczyna odmowy: brak wskazań do leczenia szpitalnego. Udzielone świadczenia: stabilizacja ortezą.\n"
     "Zalecenia: chłodzenie, odciążanie kończyny, kontrola w POZ za 7 dni.")),
    ("zosia", 1, "lab_result", "Morfologia krwi z rozmazem", 6, "07:55", "Laboratorium Diagnostyczne Mokotów",
     "mgr Żaneta Dąbrowska-Łęcka", MORPHOLOGY),
    ("zosia", 2, "diagnostic_report", "RTG klatki piersiowej", 30, "09:20", "Dziecięcy Szpital Kliniczny",
     "lek. Łukasz Ślęzak", ("Pola płucne bez zmian ogniskowych. Sylwetka serca prawidłowa.\n"
     "Wniosek: obraz RTG klatki piersiowej w normie.")),
    ("zosia", 3, "referral_information", "Informacja dla lekarza kierującego: poradnia alergologiczna", 65, "12:40",
     "Poradnia Alergologiczna dla Dzieci", "dr Joanna Źrebiec",
     ("Rozpoznanie: alergiczny nieżyt nosa (J30.4). Testy skórne dodatnie dla roztoczy kurzu domowego.\n"
     "Zalecenia: leki przeciwhistaminowe w sezonie, kontrola za 6 miesięcy.")),
    ("zosia", 4, "discharge_summary", "Karta informacyjna leczenia szpitalnego", 150, "14:10",
     "Dziecięcy Szpital Kliniczny, Oddział Pediatrii", "dr hab. Małgorzata Nowicka",
     ("Rozpoznanie: zapalenie płuc (J18.9). Leczona antybiotykiem dożylnie przez 5 dni, z poprawą.\n"
     "Zalecenia: dokończenie antybiotykoterapii doustnie, kontrola u pediatry po 7 dniach.")),
    ("ola", 1, "lab_result", "Badanie ogólne moczu", 12, "08:05", "Laboratorium Diagnostyczne Mokotów",
     "mgr Ewa Lis", ("Barwa słomkowa, przejrzysty. Ciężar właściwy 1,015. Białko, glukoza: nieobecne.\n"
     "Opis: wynik prawidłowy.")),
    ("ola", 2, "admission_refusal", "Informacja o odmowie przyjęcia do szpitala", 90, "19:35",
     "Dziecięcy Szpital Kliniczny, Szpitalny Oddział Ratunkowy", "lek. Anna Żurawska",
     ("Rozpoznanie: nieżyt żołądkowo-jelitowy (A08.4), bez cech odwodnienia.\n"
     "Przyczyna odmowy: brak wskazań do hospitalizacji. Zalecenia: nawadnianie doustne, dieta lekkostrawna.")),
    ("kuba", 1, "diagnostic_report", "RTG nadgarstka prawego", 25, "16:25", "Szpital Bielański, Pracownia RTG",
     "lek. Marek Górski", "Bez cech złamania. Tkanki miękkie obrzęknięte.\nWniosek: stłuczenie nadgarstka."),
]  # fmt: skip


def document_lines(people: dict[str, Person], day: date) -> list[dict]:
    """The demo documents, as facilities send them through the feed."""
    lines = []
    for key, n, kind, title, days_before, hhmm, facility, author, body in DOCUMENTS:
        issued = datetime.combine(
            day - timedelta(days=days_before), time.fromisoformat(hhmm), tzinfo=WARSAW
        )
        lines.append(
            {
                "document_id": f"demo-doc-{key}-{n}",
                "pesel": people[key].pesel,
                "type": kind,
                "title": title,
                "issued_at": issued.isoformat(),
                "facility_name": facility,
                "author_name": author,
                "body": body,
            }
        )
    return lines


def seed(people: dict[str, Person]) -> None:
    lines = document_lines(people, first_seeding_day(people))
    ids = [line["document_id"] for line in lines]
    if Document.objects.filter(document_id__in=ids).count() == len(ids):
        return  # all there: a re-run sends no file (and leaves no empty FeedFile behind)
    with tempfile.TemporaryDirectory(prefix="ikp-demo-") as folder:
        path = Path(folder) / "demo-edm-document.jsonl"
        path.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
        )
        ingest_file(FEED, path)
