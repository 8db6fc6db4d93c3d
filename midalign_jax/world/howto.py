"""How-to texts: a title, what you need, numbered steps and a tip."""
from __future__ import annotations

import random

from midalign_jax.world.textgen import join_and, pick, render

# (task, things needed, steps, tips)
_TASKS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("bake a loaf of bread", ("flour", "water", "yeast", "salt", "a large bowl", "an oven"),
     ("Mix the flour, yeast and salt in a large bowl.", "Add warm water and stir until a rough dough forms.",
      "Knead the dough for about ten minutes until it is smooth.", "Cover the bowl and let the dough rise for "
      "an hour.", "Shape the dough into a loaf and place it on a tray.", "Bake it in a hot oven for about "
      "thirty minutes.", "Let the bread cool before you slice it."),
     ("If the dough is too sticky, add a little more flour.", "A bowl of water in the oven gives a crisper "
      "crust.")),
    ("repair a bicycle tyre", ("tyre levers", "a patch kit", "a pump"),
     ("Remove the wheel from the bicycle.", "Use the tyre levers to lift one side of the tyre off the rim.",
      "Pull out the inner tube and pump a little air into it.", "Listen for the hiss to find the hole.",
      "Roughen the area with sandpaper and apply the glue.", "Press the patch firmly over the hole.",
      "Put the tube back, refit the tyre and pump it up."),
     ("Check the inside of the tyre for thorns before refitting it.", "Carry a spare tube on long rides.")),
    ("plant tomatoes", ("tomato seedlings", "compost", "a trowel", "canes", "string"),
     ("Choose a sunny spot that gets at least six hours of light.", "Dig a hole a little deeper than the pot.",
      "Mix compost into the soil at the bottom of the hole.", "Set the seedling in the hole and firm the soil "
      "around it.", "Push a cane into the ground beside each plant.", "Tie the stem loosely to the cane.",
      "Water the plants deeply twice a week."),
     ("Pinch out side shoots to get bigger fruit.", "Water at the base, not on the leaves.")),
    ("make a cup of tea", ("a kettle", "tea leaves or a tea bag", "a cup"),
     ("Fill the kettle with fresh water and boil it.", "Warm the cup with a little hot water and pour it out.",
      "Put the tea in the cup.", "Pour the boiling water over the tea.", "Let it steep for three to five "
      "minutes.", "Remove the tea and add milk or lemon if you like."),
     ("Green tea tastes better with water that is not quite boiling.", "Steeping too long makes tea bitter.")),
    ("paint a room", ("paint", "a roller", "a brush", "masking tape", "dust sheets"),
     ("Move the furniture to the middle of the room and cover it.", "Fill any cracks in the walls and sand "
      "them smooth.", "Put masking tape along the edges of the ceiling and windows.", "Paint the corners and "
      "edges with a brush.", "Use the roller for the large areas.", "Let the first coat dry, then apply a "
      "second.", "Remove the tape before the paint is fully dry."),
     ("Open the windows to help the paint dry.", "Stir the paint well before you start.")),
    ("start running", ("comfortable shoes", "loose clothes", "a water bottle"),
     ("Start with a brisk ten-minute walk to warm up.", "Alternate one minute of running with two minutes of "
      "walking.", "Repeat this for about twenty minutes.", "Run three times a week, with rest days between.",
      "Each week, run a little longer and walk a little less.", "Cool down with a slow walk and some "
      "stretches."),
     ("If you cannot talk while running, slow down.", "Rest if anything hurts.")),
    ("write a good letter", ("paper", "a pen", "an envelope"),
     ("Decide what you want the reader to know or do.", "Start with a friendly greeting.", "Explain your main "
      "point in the first paragraph.", "Add details in short, clear paragraphs.", "End with a polite closing "
      "and your name.", "Read the letter aloud to check it.", "Address the envelope clearly."),
     ("Short sentences are easier to read.", "Keep a copy of important letters.")),
    ("clean a window", ("warm water", "a little soap", "a cloth", "a squeegee"),
     ("Mix a little soap into a bucket of warm water.", "Wipe the frame first to remove dust.", "Wash the glass "
      "with the soapy cloth.", "Pull the squeegee from top to bottom in straight lines.", "Wipe the blade "
      "after each stroke.", "Dry the edges with a clean cloth."),
     ("Clean windows on a cloudy day so the water does not dry too fast.",)),
    ("make vegetable soup", ("onions", "carrots", "potatoes", "stock", "a large pot"),
     ("Chop the onions, carrots and potatoes.", "Soften the onions in a little oil in a large pot.", "Add the "
      "carrots and potatoes and stir for a few minutes.", "Pour in the stock and bring it to the boil.",
      "Simmer for twenty minutes until the vegetables are soft.", "Season with salt and pepper.", "Blend the "
      "soup if you prefer it smooth."),
     ("A squeeze of lemon brightens the flavour.", "Soup often tastes better the next day.")),
    ("organise a bookshelf", ("a duster", "boxes for books you will give away"),
     ("Take all the books off the shelf.", "Dust the shelves and wipe them down.", "Sort the books into "
      "groups, such as fiction, history and cookery.", "Put aside books you will not read again.", "Return the "
      "books group by group.", "Place the books you use most at eye level."),
     ("Leave a little space on each shelf for new books.",)),
    ("learn new words in a language", ("a notebook", "flash cards"),
     ("Choose ten new words each day.", "Write each word with an example sentence.", "Say the words aloud.",
      "Review yesterday's words before learning new ones.", "Use the new words in a conversation or a short "
      "text.", "Test yourself at the end of the week."),
     ("Learning a little every day works better than a lot once a week.",)),
    ("fix a dripping tap", ("a spanner", "a screwdriver", "a new washer"),
     ("Turn off the water supply under the sink.", "Open the tap to let the remaining water out.", "Remove the "
      "handle with the screwdriver.", "Unscrew the valve with the spanner.", "Replace the old washer with the "
      "new one.", "Put the tap back together and turn the water on."),
     ("Take a photo before you take things apart.", "Bring the old washer to the shop to match the size.")),
)


def howto_doc(rng: random.Random) -> str:
    """One how-to text."""
    task, needs, steps, tips = pick(rng, _TASKS)
    title = render("[How to|How To|A Simple Guide: How to|Guide: how to] ", rng) + task
    intro = render(
        "[Many people want to|It is easier than you think to|Anyone can learn to|This guide shows you how to] "
        f"{task}[. Follow these steps.|. Here is how.|, step by step.|.]", rng)
    # A few steps may be skipped so that not every copy of a guide is identical; the order never changes.
    kept = [s for s in steps if rng.random() > 0.12] or list(steps)
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(kept, start=1))
    need_line = render("[You will need|What you need|Materials]: ", rng) + join_and(list(needs)) + "."
    tip = render("[Tip|A useful tip|Note]: ", rng) + pick(rng, tips)
    return f"{title}\n\n{intro}\n\n{need_line}\n\n{numbered}\n\n{tip}"
