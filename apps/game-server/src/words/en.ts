/** Built-in English words: concrete, drawable things and actions, grouped loosely by theme. */
export const englishWords: readonly string[] = [
  // animals
  'cat', 'dog', 'horse', 'rabbit', 'turtle', 'penguin', 'giraffe', 'elephant', 'octopus', 'snail',
  'butterfly', 'spider', 'shark', 'whale', 'owl', 'frog', 'camel', 'kangaroo', 'zebra', 'bee',
  'crab', 'jellyfish', 'flamingo', 'squirrel', 'hedgehog', 'peacock', 'dolphin', 'lion', 'bat', 'snake',
  // food
  'pizza', 'banana', 'pineapple', 'ice cream', 'hamburger', 'carrot', 'watermelon', 'popcorn', 'cupcake',
  'sandwich', 'noodles', 'egg', 'cheese', 'cherry', 'pretzel', 'donut', 'broccoli', 'lemon', 'taco', 'sushi',
  // objects
  'umbrella', 'ladder', 'scissors', 'toothbrush', 'lamp', 'candle', 'clock', 'key', 'glasses', 'backpack',
  'guitar', 'drum', 'trumpet', 'piano', 'camera', 'telephone', 'envelope', 'hammer', 'bucket', 'balloon',
  'kite', 'anchor', 'compass', 'magnet', 'lightbulb', 'pillow', 'sock', 'crown', 'ring', 'mirror',
  'chair', 'bathtub', 'fork', 'teapot', 'wheelbarrow', 'paintbrush', 'hourglass', 'skateboard', 'helmet', 'bell',
  // places and nature
  'volcano', 'island', 'rainbow', 'waterfall', 'mountain', 'desert', 'cave', 'lighthouse', 'castle', 'bridge',
  'tornado', 'snowman', 'cactus', 'mushroom', 'sunflower', 'palm tree', 'moon', 'comet', 'cloud', 'lightning',
  'igloo', 'tent', 'windmill', 'pyramid', 'fountain',
  // vehicles
  'bicycle', 'submarine', 'helicopter', 'rocket', 'sailboat', 'train', 'tractor', 'ambulance', 'scooter', 'canoe',
  // people and actions
  'astronaut', 'pirate', 'wizard', 'robot', 'ghost', 'mermaid', 'juggling', 'sleeping', 'fishing', 'swimming',
  'dancing', 'sneezing', 'surfing', 'painting', 'climbing', 'skiing', 'yawning', 'whistle', 'shadow', 'footprint',
  // trickier
  'treasure map', 'traffic light', 'birthday cake', 'spider web', 'message in a bottle', 'fire hydrant',
  'roller coaster', 'hot air balloon', 'tooth fairy', 'sand castle',
];
