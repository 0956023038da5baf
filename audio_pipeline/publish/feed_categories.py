"""Apple Podcasts' categories and subcategories, spelled exactly as Apple spells them
(podcasters.apple.com, "Apple Podcasts categories"): a category Apple does not know
leaves a show out of every category listing."""

from __future__ import annotations

from typing import Final

APPLE_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


def category_problem(category: str, subcategory: str | None = None) -> str | None:
    """What is wrong with an (itunes:category, subcategory) pair, or None."""
    if category not in APPLE_CATEGORIES:
        near = next((c for c in APPLE_CATEGORIES if c.lower() == category.strip().lower()), None)
        hint = f"; Apple spells it {near!r}" if near else f"; one of {', '.join(APPLE_CATEGORIES)}"
        return f"category {category!r} is not one of Apple's{hint}"
    if subcategory is not None and subcategory not in APPLE_CATEGORIES[category]:
        subs = APPLE_CATEGORIES[category]
        hint = f"; under {category!r}: {', '.join(subs)}" if subs else f"; {category!r} has no subcategories"
        return f"subcategory {subcategory!r} is not one of Apple's{hint}"
    return None
