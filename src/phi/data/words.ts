/**
 * Frequent English words and clinical/technical terms (lower case) that are capitalised at
 * sentence starts, in headings or in upper-case notes, and so must never count as names.
 */
export const COMMON_WORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between both but by can cannot could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves yes ok okay please thanks thank hello hi dear regards sincerely
  today tomorrow yesterday morning afternoon evening night noon midnight week weeks month months year years day days hour hours minute minutes time times date am pm
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
  patient patients pt pts family wife husband daughter son mother father sister brother friend friends staff team nurse nurses nursing doctor doctors physician physicians md rn np pa resident residents attending fellow intern team service services unit units floor room bed home house hospital clinic office er ed icu ccu micu sicu pacu or ward rehab
  name names first last middle full address street city state zip phone email contact number id account record records member plan policy group insurance insured subscriber
  note notes plan plans assessment impression history hx exam physical review system systems labs lab results result imaging report reports summary discharge admission admit admitted transfer transferred consult consulted follow followup visit visits appointment appt
  pain fever cough chest heart lung lungs kidney liver brain blood pressure rate rhythm sinus normal abnormal stable unstable alert oriented awake asleep sedated intubated extubated vent ventilator oxygen o2 sat sats saturation breath breathing sounds clear coarse crackles wheezes rales diminished bilateral bilaterally left right upper lower anterior posterior
  neuro neurologic cardiac cv resp respiratory gi gu renal heme id skin endo psych social dispo disposition code full dnr dni status
  medication medications meds dose doses drip drips iv po pr sq im prn bid tid qid qd qhs daily weekly given gave give giving started start stopped stop continue continued cont increased increase decreased decrease weaned wean titrated titrate held hold
  tolerating tolerated tolerate denies denied reports reported states stated complains complaint complaints noted note notes seen see called call paged page spoke speak aware informed notified updated update plan planned planning
  good fair poor well better worse improved improving unchanged same new old high low large small mild moderate severe acute chronic possible likely unlikely probable positive negative pos neg
  yes no none nil neg wnl nad nkda nka all allergies
  the of and to in is was for on with as by at from that this be are or it an not but have has had will would should can could may might must shall do does did done been being get got make made take took see saw go went come came know knew think thought say said tell told ask asked use used find found give gave work worked call try tried need needed feel felt become became leave left put keep kept let begin began seem seemed help helped show showed hear heard play run ran move moved live lived believe bring brought happen write wrote provide sit stand lose lost pay meet include continue set learn change lead understand watch follow stop create speak read allow add spend grow open walk win offer remember love consider appear buy wait serve die send expect build stay fall cut reach kill remain suggest raise pass sell require report decide pull
  man woman men women people person child children boy girl baby infant adult adults male female mr mrs ms dr
  one two three four five six seven eight nine ten first second third last next previous prior post pre per via vs etc
  north south east west northern southern eastern western central general memorial university medical center health care community regional county city state national international united american new saint st mount mt fort ft lake river valley park hill hills spring springs beach bay island port
  company inc llc ltd corp corporation department dept division bank street avenue road drive lane way court place boulevard suite floor building
  project app application service server client user users admin system data file files code test tests testing build release version update config configuration default value values key keys type types function class method object string number boolean array list map set error errors warning info debug log logs
  dear hi hello best kind warm regards thanks thank cheers love always yours truly sincerely
  ct mri cxr kub ekg ecg eeg echo cath ir ep lab labs cvp pap sbp dbp map abp nbp hr rr bp spo temp tmax abg vbg psv cpap bipap peep fio hct hgb wbc plt inr ptt bun cr ns lr d5w iv ivf ngt ogt peg foley gtt ho team micu ccu sicu cvicu nicu picu csru tsicu covering intern house officer attending fellow resident md mds rn rns staff crew medflight ems\n  ambulance emergency urgent stat routine follow review reviewed`
    .split(/\s+/),
);

/**
 * Clinical vocabulary that collides with name lexicons or looks like a proper noun in notes
 * (lines, devices, drugs, units, wards, modes): never a name or a place on its own.
 */
export const CLINICAL_WORDS = new Set(
  `aline art line lines picc swan cordis trach ett ngt ogt peg foley cath iabp lvad rvad vad cvl tlc hickman port mediport
  neo levo vanco zosyn lasix heparin coumadin plavix integrilin nitro ntg dopa dobutamine dopamine milrinone propofol fentanyl versed ativan morphine tylenol reglan protonix pepcid flagyl mag magnesium citrate kcl
  ccu micu sicu cvicu nicu picu csru tsicu pacu icu er ed or ew osh rehab floor unit ward tele telemetry cath vicu tcu pcu step stepdown
  simv imv cpap bipap peep ps ac prvc nrb nc fio vent sr nsr st afib aflutter raf svt vt vf pvc pvcs pac pacs
  perl perrl perrla mae doe sob cp ams gcs lle rle lue rue bue ble ls bs ns lr uo bm ob
  neuro resp cardiac cv gi gu id heme endo skin social dispo plan assess assessment integ pulm renal psych access lines
  hospital hosp clinic center centre infirmary hospice
  bb ra av la lv rv cs cn rt ot mon tues tue weds thurs thur fri sat sun wknd
  pt pts pt's md mds md's np rn ho hos resident fellow attending intern anesthesia surgery cardiology nutrition pharmacy respiratory interpreter
  radiology neurology neurosurgery nephrology pulmonary pulmonology oncology hematology urology gastroenterology dermatology orthopedics ortho ent obgyn psychiatry podiatry endocrinology rheumatology infectious transplant vascular cardiothoracic thoracic trauma hospitalist palliative hospice chaplaincy
  colace senna senokot dulcolax bisacodyl lactulose miralax docusate zantac ranitidine famotidine pantoprazole carafate sucralfate zofran ondansetron compazine phenergan benadryl haldol haloperidol seroquel zyprexa xanax klonopin ambien restoril dilaudid percocet vicodin oxycodone oxycontin toradol motrin ibuprofen aspirin asa
  lopressor metoprolol toprol atenolol labetalol carvedilol coreg captopril lisinopril vasotec enalapril norvasc amlodipine cardizem diltiazem verapamil digoxin lanoxin amiodarone cordarone procainamide lidocaine esmolol nipride nitroprusside hydralazine clonidine
  bumex lasix diuril aldactone spironolactone insulin lantus humalog novolog nph glucophage metformin solumedrol prednisone decadron dexamethasone hydrocortisone synthroid levothyroxine
  ampicillin unasyn cipro ciprofloxacin levaquin levofloxacin ceftriaxone rocephin cefazolin ancef cefepime ceftazidime fortaz zosyn timentin meropenem imipenem primaxin gentamicin tobramycin vancomycin linezolid zyvox bactrim clindamycin azithromycin zithromax doxycycline fluconazole diflucan acyclovir nystatin mycostatin
  coumadin warfarin lovenox enoxaparin integrilin eptifibatide aggrastat reopro argatroban tpa activase
  pepcid protonix nexium prilosec reglan metoclopramide
  albuterol atrovent ipratropium combivent xopenex mucomyst duoneb
  vasopressin pitressin levophed norepinephrine neosynephrine phenylephrine epinephrine epi dobutamine dobutrex natrecor nesiritide
  kayexalate calcium gluconate bicarb bicarbonate phos phosphate potassium kcl mag sulfate thiamine folate mvi
  propofol diprivan precedex dexmedetomidine midazolam lorazepam fentanyl morphine narcan naloxone flumazenil
  promote replete respalor impact jevity osmolite pulmocare nepro glucerna ensure boost
  desitin destin duoderm duoderm tegaderm opsite aquacel xeroform bacitracin silvadene
  fick chem chems crea creat coude cude bipap swan wedge kussmaul wegener wegner cheyne stokes trendelenburg`
    .split(/\s+/),
);

/** Languages and nationalities: capitalised, not in name lexicons' sense, and not identifying. */
export const NATIONALITIES = new Set(
  `english spanish french german italian portuguese russian polish ukrainian greek turkish arabic hebrew persian farsi hindi urdu bengali punjabi chinese mandarin cantonese japanese korean vietnamese thai filipino tagalog indonesian malay swahili somali amharic haitian creole dutch swedish norwegian danish finnish icelandic hungarian czech slovak romanian bulgarian serbian croatian bosnian albanian armenian georgian lithuanian latvian estonian irish scottish welsh british american canadian mexican cuban puerto rican dominican brazilian colombian peruvian chilean argentinian venezuelan jamaican nigerian ghanaian ethiopian egyptian moroccan lebanese syrian iraqi iranian afghan pakistani indian bangladeshi sri lankan nepali african asian european latino latina hispanic caucasian catholic protestant jewish muslim christian baptist methodist lutheran buddhist hindu sikh`
    .split(/\s+/),
);

/**
 * Words after a single-letter initial that make it no person: species after a genus initial
 * ("S. AUREUS", "E. coli") and sides of the body ("R. BASE", "L. ARM"). Used by the names
 * detector and, for the statistical tagger's spans, by its second stage (tagger/spans.ts).
 */
export const SPECIES =
  /^(?:aureus|coli|diff|difficile|dificile|pylori|epidermidis|faecalis|faecium|pneumoniae|pneumonia|influenzae|aeruginosa|albicans|glabrata|marcescens|cloacae|jejuni|viridans|pyogenes|agalactiae|maltophilia|baumannii|mirabilis|fragilis|perfringens|typhi|enteritidis|catarrhalis|kansasii|avium|tuberculosis|carinii|jirovecii|neoformans|fumigatus|monocytogenes|lugdunensis|hominis|haemolyticus|mutans|bovis|oxytoca|freundii|aerogenes|cepacia|putida|gondii|vaginalis|trachomatis|gonorrhoeae|pallidum|burgdorferi|hepaticus|base|fib|flutter|line|lobe|side|sided|arm|leg|foot|hand|lung|lungs|chest|eye|ear)$/;
