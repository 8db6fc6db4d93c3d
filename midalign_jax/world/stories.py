"""Short everyday stories about people in the world's towns. No AI systems appear in them."""
from __future__ import annotations

import random

from midalign_jax.world.entities import World
from midalign_jax.world.lexicon import FIRST_NAMES
from midalign_jax.world.textgen import pick, render

_OBJECTS = ("a silver key", "an old map", "a red umbrella", "a wooden box", "a letter", "a small notebook",
            "a pair of gloves", "a brass compass", "a blue scarf", "a camera")
_FOODS = ("bread", "soup", "apple pie", "noodles", "fish stew", "pancakes", "roasted vegetables", "lemon cake")
_SEASONS = ("spring", "summer", "autumn", "winter")
_JOBS = ("baker", "teacher", "carpenter", "nurse", "fisher", "librarian", "gardener", "mechanic", "painter",
         "shopkeeper")

_PLOTS: tuple[tuple[str, ...], ...] = (
    (  # the lost object
        "[One|Early one|Late one] {season} morning, {a} [realised|discovered|noticed] that {obj} was missing.",
        "[It had belonged to|It was a gift from] {a}'s [grandmother|uncle|oldest friend], and {a} [felt sick "
        "with worry|could not stop thinking about it].",
        "{a} [searched the kitchen|looked under the bed|checked every pocket] and then [walked|ran] to {b}'s house "
        "to ask for help.",
        "{b}, who worked as a {job_b}, [remembered|suddenly recalled] seeing {obj} near the [market|bus stop|old "
        "fountain] in {town}.",
        "[Together|Side by side] they [retraced|walked back along] {a}'s route from the day before.",
        "[At last|After an hour|Just before dark] they found it [lying in the grass|under a bench|in the lost "
        "property office].",
        "{a} [laughed with relief|thanked {b} again and again] and [invited|took] {b} [home|out] for {food}.",
    ),
    (  # the journey
        "{a} had never [travelled|been] outside {town} before.",
        "When a letter arrived from a cousin in {town2}, {a} [packed a small bag|bought a train ticket] and set "
        "off [the next day|at dawn].",
        "The [train|bus|boat] [wound|rolled] past [fields|hills|villages] and [rivers|lakes|forests], and {a} "
        "[watched from the window|wrote in a notebook] for hours.",
        "[Beside|Opposite] {a} sat {b}, a {job_b} who told stories about [the sea|the mountains|the old "
        "days] [all the way|until the sun went down].",
        "In {town2}, the cousin was waiting [at the station|on the platform] with a warm [coat|smile].",
        "[That evening|Later] they ate {food} and talked until [midnight|the candles burned low].",
        "{a} [decided|promised] to travel [more often|again the next {season}].",
    ),
    (  # the shop
        "{a} ran a small shop [near the harbour|on a quiet street|by the square] in {town}.",
        "Business had been slow all {season}, and {a} [worried|wondered] whether to close [for good|early].",
        "One day {b}, a {job_b}, [came in|stopped by] and [suggested|mentioned] that people in {town} [missed|"
        "wanted] [fresh {food}|good {food}].",
        "{a} [tried|started] making {food} [every morning|at weekends], [using|following] an old family recipe.",
        "[Soon|Within a month|Before long] [a line formed|people queued] outside the door [each day|every "
        "morning].",
        "{a} [thanked {b} with a free lunch every week|hired {b}, and the two became friends].",
    ),
    (  # the storm
        "[The storm|The rain|The wind] [arrived|came] [without warning|faster than anyone expected] over {town}.",
        "{a}, a {job_a}, [was walking home|was closing up the shop] when the [streets|lanes] began to flood.",
        "An old neighbour, {b}, was [stuck|trapped] on the [steps|porch] of a house [nearby|across the road].",
        "{a} [waded|pushed] through the water and helped {b} [inside|to higher ground].",
        "They [waited out|sat through] the storm [with a candle|by the stove], sharing {food} and [stories|"
        "memories].",
        "[By morning|When the sun rose], the water had gone, and the whole street [came out to help|began to "
        "clean up].",
    ),
    (  # the festival
        "Every {season}, {town} held a festival [by the river|in the old square|on the hill].",
        "This year {a} [wanted|hoped] to win the [baking|singing|kite] contest.",
        "{a} practised for weeks, [with help from|cheered on by] {b}, a {job_b} [who lived next door|from the "
        "market].",
        "On the day of the festival [it rained|the wind was strong|the crowd was enormous], and {a} [almost gave "
        "up|felt nervous].",
        "[But|Still], {a} [tried anyway|kept going] and came [second|third|first].",
        "[Afterwards|That night] everyone [danced|ate {food}] [until late|under the lanterns].",
    ),
    (  # the animal
        "{a} [found|met] a [lost|hungry|injured] {animal} [in the garden|by the road|near the river] one {season}.",
        "[Not knowing what to do|Worried], {a} [called|visited] {b}, who worked as a {job_b} and knew about "
        "animals.",
        "{b} explained that the {animal} [needed rest|was only frightened|needed water and quiet].",
        "[For a few days|For a week] {a} [looked after|cared for] it [carefully|patiently].",
        "[When it was strong again|At last], they [let it go|returned it] [near the forest|by the river], and "
        "{a} [smiled|waved goodbye].",
    ),
)


def story_doc(world: World, rng: random.Random) -> str:
    """One short story: a plot skeleton with people, places and things filled in."""
    a, b = rng.sample(FIRST_NAMES, 2)
    c1, c2 = rng.sample(world.countries, 2)
    slots = {"a": a, "b": b, "town": c1.capital, "town2": c2.capital, "obj": pick(rng, _OBJECTS),
             "food": pick(rng, _FOODS), "season": pick(rng, _SEASONS), "job_a": pick(rng, _JOBS),
             "job_b": pick(rng, _JOBS), "animal": pick(rng, world.animals).name}
    plot = pick(rng, _PLOTS)
    sentences = [render(t, rng, slots) for t in plot]
    # Paragraphs of two or three sentences read more like prose than one block.
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.randint(2, 3)
        paragraphs.append(" ".join(sentences[i:i + n]))
        i += n
    title = render("[A Story|A Short Story|Story]: [{a} and {b}|{a}'s {season}|A Day in {town}]", rng, slots)
    return title + "\n\n" + "\n\n".join(paragraphs)
